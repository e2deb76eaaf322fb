#include "common/fault_injection_env.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace etcdpp {

// A File that reports writes and syncs to its FaultInjectionEnv before forwarding them.
class FaultFile final : public File {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<File> base,
            std::shared_ptr<FaultInjectionEnv::FileState> state, uint64_t append_pos)
      : env_(env), base_(std::move(base)), state_(std::move(state)), append_pos_(append_pos) {}

  const std::string& path() const override { return base_->path(); }

  absl::Status WriteAt(uint64_t offset, std::string_view data) override {
    RETURN_NOT_OK(env_->BeforeWrite(state_.get(), *base_, offset, data.size()));
    return base_->WriteAt(offset, data);
  }
  absl::Status Append(std::string_view data) override {
    // Tracked here (the same rule as the base file's) so the write goes through WriteAt's undo.
    RETURN_NOT_OK(WriteAt(append_pos_, data));
    append_pos_ += data.size();
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    return base_->ReadAt(offset, n, scratch);
  }
  absl::Status Sync() override {
    RETURN_NOT_OK(env_->CheckSyncFault());
    RETURN_NOT_OK(base_->Sync());
    return MarkSynced();
  }
  absl::Status Fsync() override {
    RETURN_NOT_OK(env_->CheckSyncFault());
    RETURN_NOT_OK(base_->Fsync());
    return MarkSynced();
  }
  absl::Status Truncate(uint64_t size) override {
    RETURN_NOT_OK(env_->BeforeTruncate(state_.get(), *base_, size));
    RETURN_NOT_OK(base_->Truncate(size));
    append_pos_ = size;
    return absl::OkStatus();
  }
  absl::Status Preallocate(uint64_t size) override {
    RETURN_NOT_OK(env_->CheckWriteFault());
    return base_->Preallocate(size);
  }
  absl::StatusOr<uint64_t> Size() const override { return base_->Size(); }
  absl::Status Close() override { return base_->Close(); }

 private:
  absl::Status MarkSynced() {
    ASSIGN_OR_RETURN(uint64_t size, base_->Size());
    env_->AfterSync(state_.get(), size);
    return absl::OkStatus();
  }

  FaultInjectionEnv* const env_;
  const std::unique_ptr<File> base_;
  const std::shared_ptr<FaultInjectionEnv::FileState> state_;
  uint64_t append_pos_;
};

FaultInjectionEnv::~FaultInjectionEnv() = default;

absl::StatusOr<std::unique_ptr<File>> FaultInjectionEnv::OpenFile(const std::string& path,
                                                                  OpenMode mode) {
  bool existed = base_->FileExists(path);
  uint64_t old_size = 0;
  if (existed) {
    ASSIGN_OR_RETURN(old_size, base_->GetFileSize(path));
  }
  std::string old_contents;
  if (existed && mode == OpenMode::kCreateOrTruncate) {
    ASSIGN_OR_RETURN(old_contents, base_->ReadFileToString(path));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->OpenFile(path, mode));
  MutexLock l(&mu_);
  std::shared_ptr<FileState>& state = files_[path];
  if (state == nullptr) {
    state = std::make_shared<FileState>();
    state->path = path;
    state->synced_size = old_size;  // pre-existing contents count as durable
    if (!existed) pending_creates_.push_back(path);
  }
  if (!old_contents.empty()) {
    old_contents.resize(std::min<uint64_t>(old_contents.size(), state->synced_size));
    state->undo.push_back(Undo{0, std::move(old_contents)});
  }
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  return std::make_unique<FaultFile>(this, std::move(file), state, size);
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  RETURN_NOT_OK(base_->RenameFile(from, to));
  MutexLock l(&mu_);
  MovePathsLocked(from, to);
  pending_renames_.push_back(PendingRename{from, to});
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  RETURN_NOT_OK(base_->RemoveFile(path));
  MutexLock l(&mu_);
  files_.erase(path);
  std::erase(pending_creates_, path);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  RETURN_NOT_OK(CheckSyncFault());
  RETURN_NOT_OK(base_->SyncDir(dir));
  MutexLock l(&mu_);
  std::erase_if(pending_creates_, [&](const std::string& p) { return DirName(p) == dir; });
  std::erase_if(pending_renames_, [&](const PendingRename& r) { return DirName(r.to) == dir; });
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::DropUnsyncedData() {
  MutexLock l(&mu_);
  for (auto& [path, state] : files_) {
    if (base_->FileExists(path)) RETURN_NOT_OK(RestoreFile(*state));
  }
  for (auto it = pending_renames_.rbegin(); it != pending_renames_.rend(); ++it) {
    RETURN_NOT_OK(base_->RenameFile(it->to, it->from));
    MovePathsLocked(it->to, it->from);
  }
  for (const std::string& path : pending_creates_) {
    if (base_->FileExists(path)) RETURN_NOT_OK(base_->RemoveFile(path));
  }
  files_.clear();
  pending_creates_.clear();
  pending_renames_.clear();
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RestoreFile(const FileState& state) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, base_->OpenFile(state.path, OpenMode::kOpenExisting));
  for (auto it = state.undo.rbegin(); it != state.undo.rend(); ++it) {
    RETURN_NOT_OK(f->WriteAt(it->offset, it->old_bytes));
  }
  RETURN_NOT_OK(f->Truncate(state.synced_size));
  return f->Close();
}

void FaultInjectionEnv::MovePathsLocked(const std::string& from, const std::string& to) {
  auto moved = [&](const std::string& p) -> std::optional<std::string> {
    if (p == from) return to;
    if (absl::StartsWith(p, from + "/")) return to + p.substr(from.size());
    return std::nullopt;
  };
  std::map<std::string, std::shared_ptr<FileState>> renamed;
  for (auto it = files_.begin(); it != files_.end();) {
    if (auto np = moved(it->first)) {
      it->second->path = *np;
      renamed[*np] = std::move(it->second);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [p, s] : renamed) files_[p] = std::move(s);
  for (std::string& p : pending_creates_) {
    if (auto np = moved(p)) p = *np;
  }
}

namespace {

// Counts one call down; true when this call is the one to fail.
bool CountDown(std::atomic<int>* countdown) {
  int n = countdown->load();
  while (n >= 0 && !countdown->compare_exchange_weak(n, n - 1)) {
  }
  return n == 0;
}

}  // namespace

absl::Status FaultInjectionEnv::CheckWriteFault() {
  if (CountDown(&fail_write_countdown_)) return absl::InternalError("injected write failure");
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CheckSyncFault() {
  if (CountDown(&fail_sync_countdown_)) return absl::InternalError("injected sync failure");
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::BeforeWrite(FileState* state, const File& file, uint64_t offset,
                                            uint64_t len) {
  RETURN_NOT_OK(CheckWriteFault());
  MutexLock l(&mu_);
  if (offset >= state->synced_size || len == 0) return absl::OkStatus();
  uint64_t n = std::min(len, state->synced_size - offset);
  std::string old(n, '\0');
  ASSIGN_OR_RETURN(size_t got, file.ReadAt(offset, n, old.data()));
  old.resize(got);
  state->undo.push_back(Undo{offset, std::move(old)});
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::BeforeTruncate(FileState* state, const File& file,
                                               uint64_t size) {
  RETURN_NOT_OK(CheckWriteFault());
  MutexLock l(&mu_);
  if (size >= state->synced_size) return absl::OkStatus();
  std::string old(state->synced_size - size, '\0');
  ASSIGN_OR_RETURN(size_t got, file.ReadAt(size, old.size(), old.data()));
  old.resize(got);
  state->undo.push_back(Undo{size, std::move(old)});
  return absl::OkStatus();
}

void FaultInjectionEnv::AfterSync(FileState* state, uint64_t size) {
  ++sync_count_;
  MutexLock l(&mu_);
  state->synced_size = size;
  state->undo.clear();
}

}  // namespace etcdpp
