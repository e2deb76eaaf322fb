#include "common/durability_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace etcdpp {
namespace {

// Where undo bytes go: a real file, or a string holding a file's contents.
class UndoTarget {
 public:
  virtual ~UndoTarget() = default;
  [[nodiscard]] virtual absl::Status WriteAt(uint64_t offset, std::string_view bytes) = 0;
  [[nodiscard]] virtual absl::Status Truncate(uint64_t size) = 0;
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Size() = 0;
};

class FileTarget final : public UndoTarget {
 public:
  explicit FileTarget(File* f) : f_(f) {}
  absl::Status WriteAt(uint64_t offset, std::string_view bytes) override {
    return f_->WriteAt(offset, bytes);
  }
  absl::Status Truncate(uint64_t size) override { return f_->Truncate(size); }
  absl::StatusOr<uint64_t> Size() override { return f_->Size(); }

 private:
  File* const f_;
};

class StringTarget final : public UndoTarget {
 public:
  explicit StringTarget(std::string* s) : s_(s) {}
  absl::Status WriteAt(uint64_t offset, std::string_view bytes) override {
    if (s_->size() < offset + bytes.size()) s_->resize(offset + bytes.size(), '\0');
    s_->replace(offset, bytes.size(), bytes);
    return absl::OkStatus();
  }
  absl::Status Truncate(uint64_t size) override {
    s_->resize(size, '\0');
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> Size() override { return s_->size(); }

 private:
  std::string* const s_;
};

// Undoes `c` except its first `keep` written bytes (keep == 0: all of it). A write is recorded
// before it is made, so a process killed in between leaves a recorded write the file never got
// (or got in part): what is kept is then only what the file holds, never an extension of zeros.
[[nodiscard]] absl::Status Undo(const DataChange& c, uint64_t keep, UndoTarget* target) {
  if (keep < c.old_bytes.size()) {
    RETURN_NOT_OK(target->WriteAt(c.offset + keep, std::string_view(c.old_bytes).substr(keep)));
  }
  if (keep == 0) return target->Truncate(c.old_size);
  ASSIGN_OR_RETURN(uint64_t size, target->Size());
  return target->Truncate(std::max(c.old_size, std::min(size, c.offset + keep)));
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a: stable across runs and builds, so a seed names the same cuts tomorrow.
uint64_t HashPath(std::string_view path) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : path) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

uint64_t Weight(const DataChange& c) { return c.is_write ? c.length : 1; }

// The torn cut of a file: changes [0, index) stay whole, change `index` keeps `keep` bytes.
struct Cut {
  size_t index;
  uint64_t keep;
};

template <typename Changes>
Cut ChooseCut(const Changes& changes, const PowerLoss& options, std::string_view path) {
  if (!options.torn) return Cut{0, 0};
  uint64_t total = 0;
  for (const auto& c : changes) total += Weight(c.change);
  uint64_t point = SplitMix64(options.seed ^ HashPath(path)) % (total + 1);
  for (size_t i = 0; i < changes.size(); ++i) {
    uint64_t w = Weight(changes[i].change);
    if (point < w) return Cut{i, point};
    point -= w;
  }
  return Cut{changes.size(), 0};
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return path == dir ||
         (absl::StartsWith(path, dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

std::string Moved(const std::string& path, const std::string& from, const std::string& to) {
  return to + path.substr(from.size());
}

}  // namespace

std::optional<DurabilityModel::FileId> DurabilityModel::Lookup(const std::string& path) const {
  auto it = names_.find(path);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

void DurabilityModel::Opened(FileId id, const std::string& path, bool created) {
  files_.try_emplace(id);
  names_[path] = id;
  if (created) Push(DirOp{.kind = DirOp::Kind::kCreate, .path = path, .id = id});
}

void DurabilityModel::Changed(FileId id, DataChange change) {
  auto it = files_.find(id);
  if (it == files_.end()) return;
  it->second.unsynced.push_back(Change{next_seq_++, std::move(change)});
}

void DurabilityModel::Synced(FileId id, Seq before) {
  auto it = files_.find(id);
  if (it == files_.end()) return;
  std::erase_if(it->second.unsynced, [&](const Change& c) { return c.seq < before; });
}

void DurabilityModel::Renamed(const std::string& from, const std::string& to,
                              Preserved old_target) {
  FileId replaced = TakeName(to);
  KeepPreserved(replaced, old_target);
  MovePaths(from, to);
  Push(DirOp{.kind = DirOp::Kind::kRename,
             .path = to,
             .from = from,
             .id = replaced,
             .preserved = std::move(old_target)});
}

void DurabilityModel::Linked(FileId id, const std::string& path) {
  files_.try_emplace(id);
  names_[path] = id;
  Push(DirOp{.kind = DirOp::Kind::kCreate, .path = path, .id = id});
}

void DurabilityModel::Removed(const std::string& path, Preserved removed) {
  FileId id = TakeName(path);
  KeepPreserved(id, removed);
  Push(
      DirOp{.kind = DirOp::Kind::kRemove, .path = path, .id = id, .preserved = std::move(removed)});
}

void DurabilityModel::MadeDir(const std::string& path) {
  Push(DirOp{.kind = DirOp::Kind::kMkdir, .path = path});
}

void DurabilityModel::RemovedDir(const std::string& path) {
  Push(DirOp{.kind = DirOp::Kind::kRmdir, .path = path, .preserved = Preserved::EmptyDir()});
}

void DurabilityModel::DirSynced(const std::string& dir, Seq before) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  std::erase_if(pending_,
                [&](const DirOp& op) { return op.seq < before && DirName(op.path) == d; });
}

void DurabilityModel::SyncedAll(Seq before) {
  for (auto& [id, data] : files_) Synced(id, before);
  std::erase_if(pending_, [&](const DirOp& op) { return op.seq < before; });
}

absl::StatusOr<std::string> DurabilityModel::SyncedContents(const std::string& path) const {
  ASSIGN_OR_RETURN(std::string contents, base_->ReadFileToString(path));
  std::optional<FileId> id = Lookup(path);
  if (!id.has_value()) return contents;
  const std::vector<Change>& unsynced = files_.at(*id).unsynced;
  StringTarget target(&contents);
  for (auto it = unsynced.rbegin(); it != unsynced.rend(); ++it) {
    RETURN_NOT_OK(Undo(it->change, 0, &target));
  }
  return contents;
}

absl::Status DurabilityModel::ApplyPowerLoss(const PowerLoss& options) {
  for (const auto& [id, data] : files_) RETURN_NOT_OK(RevertFileData(id, data, options));
  while (!pending_.empty()) {
    DirOp op = std::move(pending_.back());
    pending_.pop_back();
    RETURN_NOT_OK(RevertOp(op));
  }
  files_.clear();
  names_.clear();
  return absl::OkStatus();
}

void DurabilityModel::Push(DirOp op) {
  op.seq = next_seq_++;
  pending_.push_back(std::move(op));
}

void DurabilityModel::MovePaths(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, FileId>> moved;
  for (auto it = names_.begin(); it != names_.end();) {
    if (IsUnder(it->first, from)) {
      moved.emplace_back(Moved(it->first, from, to), it->second);
      it = names_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, id] : moved) names_[path] = id;
  for (DirOp& op : pending_) {
    if (IsUnder(op.path, from)) op.path = Moved(op.path, from, to);
    if (IsUnder(op.from, from)) op.from = Moved(op.from, from, to);
  }
}

DurabilityModel::FileId DurabilityModel::TakeName(const std::string& path) {
  auto it = names_.find(path);
  if (it == names_.end()) return 0;
  FileId id = it->second;
  names_.erase(it);
  return id;
}

void DurabilityModel::KeepPreserved(FileId id, const Preserved& p) {
  if (id != 0 && p.kind == Preserved::Kind::kLink) names_[p.trash_path] = id;
}

std::optional<std::string> DurabilityModel::NameOf(FileId id) const {
  for (const auto& [path, named] : names_) {
    if (named == id) return path;
  }
  return std::nullopt;
}

absl::Status DurabilityModel::RevertFileData(FileId id, const FileData& data,
                                             const PowerLoss& options) {
  if (data.unsynced.empty()) return absl::OkStatus();
  std::optional<std::string> path = NameOf(id);
  // Gone for good, kept as bytes, or removed behind the model's back.
  if (!path.has_value() || !base_->FileExists(*path)) return absl::OkStatus();
  Cut cut = ChooseCut(data.unsynced, options, *path);
  if (cut.index == data.unsynced.size()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, base_->OpenFile(*path, OpenMode::kOpenExisting));
  FileTarget target(f.get());
  for (size_t i = data.unsynced.size(); i-- > cut.index + 1;) {
    RETURN_NOT_OK_PREPEND(Undo(data.unsynced[i].change, 0, &target), *path);
  }
  RETURN_NOT_OK_PREPEND(Undo(data.unsynced[cut.index].change, cut.keep, &target), *path);
  return f->Close();
}

// One step of ApplyPowerLoss: reverts the newest pending directory change.
absl::Status DurabilityModel::RevertOp(const DirOp& op) {
  switch (op.kind) {
    case DirOp::Kind::kCreate:
      if (Lookup(op.path) != op.id) return absl::OkStatus();  // renamed away durably
      TakeName(op.path);
      return base_->FileExists(op.path) ? base_->RemoveFile(op.path) : absl::OkStatus();
    case DirOp::Kind::kMkdir:
      std::erase_if(names_, [&](const auto& e) { return IsUnder(e.first, op.path); });
      return base_->RemoveAll(op.path);
    case DirOp::Kind::kRename:
      if (base_->FileExists(op.path)) {
        RETURN_NOT_OK(base_->RenameFile(op.path, op.from));
        MovePaths(op.path, op.from);
      }
      return Restore(op.path, op.id, op.preserved);
    case DirOp::Kind::kRemove:
    case DirOp::Kind::kRmdir:
      return Restore(op.path, op.id, op.preserved);
  }
  return absl::OkStatus();
}

absl::Status DurabilityModel::Restore(const std::string& path, FileId id, const Preserved& p) {
  switch (p.kind) {
    case Preserved::Kind::kNothing:
      return absl::OkStatus();
    case Preserved::Kind::kLink:
      RETURN_NOT_OK(base_->RenameFile(p.trash_path, path));
      if (id != 0) MovePaths(p.trash_path, path);
      return absl::OkStatus();
    case Preserved::Kind::kBytes: {
      ASSIGN_OR_RETURN(std::unique_ptr<File> f, base_->OpenFile(path, OpenMode::kCreateOrTruncate));
      RETURN_NOT_OK(f->WriteAt(0, p.bytes));
      if (id != 0) names_[path] = id;
      return f->Close();
    }
    case Preserved::Kind::kEmptyDir:
      return base_->CreateDirs(path);
  }
  return absl::OkStatus();
}

}  // namespace etcdpp
