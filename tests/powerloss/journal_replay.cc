#include "journal_replay.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "powerloss_journal.h"

namespace etcdpp::powerloss {
namespace {

using FileId = DurabilityModel::FileId;
using Seq = DurabilityModel::Seq;
using Inode = std::pair<uint64_t, uint64_t>;  // dev, ino

struct Record {
  uint64_t offset = 0;
  RecordType type = RecordType::kOpen;
  uint32_t pid = 0;
  std::string body;
};

// Reads records in order. A record cut short by a kill (a large record's write() can be cut
// part way) is dropped: at the end of the journal it is simply the end; in the middle -- a later
// run of the process went on appending after it (a crash without recovery) -- reading resumes
// at the first header written by another process after it.
class JournalReader {
 public:
  explicit JournalReader(std::unique_ptr<File> file, uint64_t size)
      : file_(std::move(file)), size_(size) {}

  // False at the end.
  absl::StatusOr<bool> Next(Record* r) {
    for (;;) {
      if (size_ - offset_ < kHeaderSize) return false;
      Header h;
      ASSIGN_OR_RETURN(bool read, ReadHeader(offset_, &h));
      if (!read) return false;
      if (h.magic != kRecordMagic) {
        return absl::DataLossError(absl::StrCat("bad record magic at offset ", offset_));
      }
      const uint64_t end = offset_ + kHeaderSize + h.body_size;
      if (end <= size_ && ((size_ - end) < 4 || MagicAt(end))) {
        r->offset = offset_;
        r->type = static_cast<RecordType>(h.type);
        r->pid = h.pid;
        r->body.resize(h.body_size);
        ASSIGN_OR_RETURN(size_t got,
                         file_->ReadAt(offset_ + kHeaderSize, h.body_size, r->body.data()));
        if (got < h.body_size) return false;
        offset_ = end;
        return true;
      }
      ASSIGN_OR_RETURN(std::optional<uint64_t> later, FindLaterRun(offset_ + kHeaderSize, h.pid));
      if (!later.has_value()) return false;  // the last record, cut short
      offset_ = *later;
    }
  }

 private:
  struct Header {
    uint32_t magic = 0, pid = 0, body_size = 0;
    uint16_t type = 0, reserved = 0;
  };
  absl::StatusOr<bool> ReadHeader(uint64_t at, Header* h) {
    char b[kHeaderSize];
    ASSIGN_OR_RETURN(size_t got, file_->ReadAt(at, kHeaderSize, b));
    if (got < kHeaderSize) return false;
    std::memcpy(&h->magic, b, 4);
    std::memcpy(&h->type, b + 4, 2);
    std::memcpy(&h->reserved, b + 6, 2);
    std::memcpy(&h->pid, b + 8, 4);
    std::memcpy(&h->body_size, b + 12, 4);
    return true;
  }
  bool MagicAt(uint64_t at) {
    Header h;
    absl::StatusOr<bool> read = ReadHeader(at, &h);
    return read.ok() && (!*read || h.magic == kRecordMagic);  // a header cut short counts
  }
  // The offset of the first plausible header after `from` written by a process other than
  // `pid`, if any.
  absl::StatusOr<std::optional<uint64_t>> FindLaterRun(uint64_t from, uint32_t pid) {
    constexpr size_t kChunk = 1 << 20;
    std::string buf(kChunk + kHeaderSize, '\0');
    for (uint64_t at = from; at < size_; at += kChunk) {
      ASSIGN_OR_RETURN(size_t got, file_->ReadAt(at, buf.size(), buf.data()));
      for (size_t i = 0; i + kHeaderSize <= got && i < kChunk; ++i) {
        uint32_t magic;
        std::memcpy(&magic, buf.data() + i, 4);
        if (magic != kRecordMagic) continue;
        Header h;
        ASSIGN_OR_RETURN(bool read, ReadHeader(at + i, &h));
        if (read && h.pid != pid && h.reserved == 0 && h.type >= 1 && h.type <= 12) return at + i;
      }
    }
    return std::optional<uint64_t>();
  }

  const std::unique_ptr<File> file_;
  const uint64_t size_;
  uint64_t offset_ = 0;
};

std::optional<Inode> InodeAt(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return Inode{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

[[nodiscard]] absl::Status Malformed(const Record& r) {
  return absl::DataLossError(
      absl::StrCat("malformed record of type ", static_cast<int>(r.type), " at offset ", r.offset));
}

bool IsIntent(RecordType t) {
  return t == RecordType::kCreateIntent || t == RecordType::kRename || t == RecordType::kUnlink ||
         t == RecordType::kMkdir || t == RecordType::kRmdir || t == RecordType::kLink;
}

// Feeds records into a DurabilityModel. Intents wait for the next record of their process: a
// kFailed for them drops them, anything else means the call was made; a process's last intent
// is settled by looking at the files (Finish).
class Replayer {
 public:
  explicit Replayer(DurabilityModel* model) : model_(model) {}

  absl::Status Feed(Record r) {
    if (auto it = pending_.find(r.pid); it != pending_.end()) {
      Record intent = std::move(it->second);
      pending_.erase(it);
      if (!IsFailureOf(r, intent)) RETURN_NOT_OK(ApplyIntent(intent, &r));
    }
    seq_at_.emplace_back(r.offset, model_->next_seq());
    if (IsIntent(r.type)) {
      pending_[r.pid] = std::move(r);
      return absl::OkStatus();
    }
    return Apply(r);
  }

  absl::Status Finish() {
    std::vector<Record> last;
    for (auto& [pid, r] : pending_) last.push_back(std::move(r));
    pending_.clear();
    std::sort(last.begin(), last.end(),
              [](const Record& a, const Record& b) { return a.offset < b.offset; });
    for (const Record& r : last) {
      ASSIGN_OR_RETURN(bool happened, Happened(r));
      if (happened) RETURN_NOT_OK(ApplyIntent(r, nullptr));
    }
    return absl::OkStatus();
  }

  // Every name the model tracks must still be the inode the journal says.
  absl::Status CheckFiles() const {
    for (const auto& [path, id] : model_->names()) {
      auto known = inodes_.find(id);
      if (known == inodes_.end()) continue;
      std::optional<Inode> now = InodeAt(path);
      if (now != known->second) {
        return absl::FailedPreconditionError(
            absl::StrCat("the journal does not explain ", path,
                         now ? ": it is another file than the one journaled" : ": it is missing"));
      }
    }
    return absl::OkStatus();
  }

 private:
  static bool IsFailureOf(const Record& r, const Record& intent) {
    if (r.type != RecordType::kFailed) return false;
    uint64_t offset;
    return BodyReader(r.body).U64(&offset) && offset == intent.offset;
  }

  FileId IdFor(uint64_t dev, uint64_t ino) {
    auto [it, inserted] = ids_.try_emplace(Inode{dev, ino}, 0);
    if (inserted) {
      it->second = model_->NewId();
      inodes_[it->second] = it->first;
    }
    return it->second;
  }

  // The model's sequence number of the first record at or after journal offset `covers`.
  Seq SeqFor(uint64_t covers) const {
    auto it = std::lower_bound(seq_at_.begin(), seq_at_.end(), std::make_pair(covers, Seq{0}));
    return it == seq_at_.end() ? model_->next_seq() : it->second;
  }

  absl::Status Apply(const Record& r);
  absl::Status ApplyIntent(const Record& r, const Record* next);
  absl::StatusOr<bool> Happened(const Record& r) const;

  DurabilityModel* const model_;
  std::map<Inode, FileId> ids_;
  std::map<FileId, Inode> inodes_;
  std::vector<std::pair<uint64_t, Seq>> seq_at_;  // (record offset, next_seq when fed)
  std::map<uint32_t, Record> pending_;            // per pid: its unsettled intent
};

absl::Status Replayer::Apply(const Record& r) {
  BodyReader b(r.body);
  uint64_t dev = 0, ino = 0, covers = 0;
  uint8_t u8 = 0;
  std::string path;
  switch (r.type) {
    case RecordType::kOpen:
      if (!b.U64(&dev) || !b.U64(&ino) || !b.U8(&u8) || !b.Str(&path)) return Malformed(r);
      model_->Opened(IdFor(dev, ino), path, u8 != 0);
      return absl::OkStatus();
    case RecordType::kChange: {
      DataChange c;
      uint64_t old_len = 0;
      if (!b.U64(&dev) || !b.U64(&ino) || !b.U64(&c.offset) || !b.U64(&c.length) ||
          !b.U64(&c.old_size) || !b.U8(&u8) || !b.U64(&old_len) || !b.Str(&c.old_bytes) ||
          (!c.old_bytes.empty() && c.old_bytes.size() != old_len)) {
        return Malformed(r);
      }
      if (c.old_bytes.empty()) c.old_bytes.assign(old_len, '\0');
      c.is_write = u8 != 0;
      model_->Changed(IdFor(dev, ino), std::move(c));
      return absl::OkStatus();
    }
    case RecordType::kSync:
      if (!b.U64(&dev) || !b.U64(&ino) || !b.U64(&covers)) return Malformed(r);
      model_->Synced(IdFor(dev, ino), SeqFor(covers));
      return absl::OkStatus();
    case RecordType::kDirSync:
      if (!b.U64(&covers) || !b.Str(&path)) return Malformed(r);
      model_->DirSynced(path, SeqFor(covers));
      return absl::OkStatus();
    case RecordType::kSyncAll:
      if (!b.U64(&covers)) return Malformed(r);
      model_->SyncedAll(SeqFor(covers));
      return absl::OkStatus();
    case RecordType::kFailed:
      return absl::OkStatus();  // its intent was settled already (or belongs to no one)
    default:
      return absl::DataLossError(
          absl::StrCat("unknown record type ", static_cast<int>(r.type), " at ", r.offset));
  }
}

[[nodiscard]] absl::Status NotPreserved(const std::string& path) {
  return absl::FailedPreconditionError(absl::StrCat(
      path,
      " was removed or replaced but not linked into the trash (the journal must live on "
      "the root's filesystem)"));
}

// Applies an intent that took place; `next` is the record that settled it, if any.
absl::Status Replayer::ApplyIntent(const Record& r, const Record* next) {
  BodyReader b(r.body);
  uint64_t dev = 0, ino = 0;
  uint8_t flags = 0, target = 0;
  std::string path, to, trash;
  switch (r.type) {
    case RecordType::kCreateIntent: {
      if (!b.Str(&path)) return Malformed(r);
      if (next != nullptr && next->type == RecordType::kOpen) return absl::OkStatus();
      model_->Opened(model_->NewId(), path, /*created=*/true);
      return absl::OkStatus();
    }
    case RecordType::kRename: {
      if (!b.U64(&dev) || !b.U64(&ino) || !b.U8(&flags) || !b.U8(&target) || !b.Str(&path) ||
          !b.Str(&to) || !b.Str(&trash)) {
        return Malformed(r);
      }
      Preserved old;
      if (target == static_cast<uint8_t>(RenameTarget::kLinkedFile)) {
        if (trash.empty()) return NotPreserved(to);
        old = Preserved::Link(trash);
      } else if (target == static_cast<uint8_t>(RenameTarget::kEmptyDir)) {
        old = Preserved::EmptyDir();
      }
      if (flags & kRenameFromUnderRoot) {
        model_->Renamed(path, to, std::move(old));
      } else {  // moved in from outside the root: a new entry
        model_->Removed(to, std::move(old));
        model_->Linked(IdFor(dev, ino), to);
      }
      return absl::OkStatus();
    }
    case RecordType::kUnlink:
      if (!b.U64(&dev) || !b.U64(&ino) || !b.Str(&path) || !b.Str(&trash)) return Malformed(r);
      if (trash.empty()) return NotPreserved(path);
      model_->Removed(path, Preserved::Link(trash));
      return absl::OkStatus();
    case RecordType::kMkdir:
      if (!b.Str(&path)) return Malformed(r);
      model_->MadeDir(path);
      return absl::OkStatus();
    case RecordType::kRmdir:
      if (!b.Str(&path)) return Malformed(r);
      model_->RemovedDir(path);
      return absl::OkStatus();
    case RecordType::kLink:
      if (!b.U64(&dev) || !b.U64(&ino) || !b.Str(&path)) return Malformed(r);
      model_->Linked(IdFor(dev, ino), path);
      return absl::OkStatus();
    default:
      return Malformed(r);
  }
}

// Whether a process's last intent took place, judged from the files now.
absl::StatusOr<bool> Replayer::Happened(const Record& r) const {
  BodyReader b(r.body);
  uint64_t dev = 0, ino = 0;
  uint8_t flags = 0, target = 0;
  std::string path;
  struct stat st;
  switch (r.type) {
    case RecordType::kCreateIntent:
    case RecordType::kMkdir:
      if (!b.Str(&path)) return Malformed(r);
      return ::lstat(path.c_str(), &st) == 0;
    case RecordType::kRmdir:
      if (!b.Str(&path)) return Malformed(r);
      return ::lstat(path.c_str(), &st) != 0;
    case RecordType::kRename:  // a rename whose source is still there never took place
      if (!b.U64(&dev) || !b.U64(&ino) || !b.U8(&flags) || !b.U8(&target) || !b.Str(&path)) {
        return Malformed(r);
      }
      return InodeAt(path) != Inode{dev, ino};
    case RecordType::kUnlink:
      if (!b.U64(&dev) || !b.U64(&ino) || !b.Str(&path)) return Malformed(r);
      return InodeAt(path) != Inode{dev, ino};
    case RecordType::kLink:
      if (!b.U64(&dev) || !b.U64(&ino) || !b.Str(&path)) return Malformed(r);
      return InodeAt(path) == Inode{dev, ino};
    default:
      return Malformed(r);
  }
}

// The `length` field of a kChange (0 if malformed; Apply reports that).
uint64_t WriteLength(const Record& r) {
  BodyReader b(r.body);
  uint64_t dev, ino, offset, length = 0;
  b.U64(&dev) && b.U64(&ino) && b.U64(&offset) && b.U64(&length);
  return length;
}

[[nodiscard]] absl::Status EmptyTrashAndJournal(Env* env, const std::string& journal) {
  const std::string trash = journal + ".trash";
  if (env->IsDirectory(trash)) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(trash));
    for (const std::string& n : names) RETURN_NOT_OK(env->RemoveAll(JoinPath(trash, n)));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, env->OpenFile(journal, OpenMode::kCreateOrTruncate));
  return f->Close();
}

[[nodiscard]] absl::Status Replay(Env* env, const std::string& journal, DurabilityModel* model,
                                  ReplayStats* stats) {
  ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(journal));
  stats->journal_bytes = size;
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(journal, OpenMode::kOpenExisting));
  JournalReader reader(std::move(file), size);
  Replayer replayer(model);
  Record r;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&r));
    if (!more) break;
    ++stats->records;
    if (r.type == RecordType::kChange) stats->bytes_written += WriteLength(r);
    RETURN_NOT_OK(replayer.Feed(std::move(r)));
    r = Record{};
  }
  RETURN_NOT_OK(replayer.Finish());
  return replayer.CheckFiles();
}

constexpr const char* kTypeNames[] = {"?",       "open",    "create-intent", "change", "sync",
                                      "dirsync", "syncall", "rename",        "unlink", "mkdir",
                                      "rmdir",   "link",    "failed"};

// The record's fields as text: numbers in decimal, strings quoted, old bytes as their count.
std::string Describe(const Record& r) {
  BodyReader b(r.body);
  uint64_t n[6] = {};
  uint8_t u[2] = {};
  std::string s[3];
  auto u64s = [&](int k) {
    for (int i = 0; i < k; ++i) b.U64(&n[i]);
  };
  switch (r.type) {
    case RecordType::kOpen:
      u64s(2), b.U8(&u[0]), b.Str(&s[0]);
      return absl::StrCat("inode ", n[0], ":", n[1], " created ", u[0], " '", s[0], "'");
    case RecordType::kChange:
      u64s(5), b.U8(&u[0]), b.U64(&n[5]), b.Str(&s[0]);
      return absl::StrCat("inode ", n[0], ":", n[1], " offset ", n[2], " length ", n[3],
                          " old_size ", n[4], " write ", u[0], " old ", n[5],
                          s[0].empty() && n[5] > 0 ? " (zeroes)" : "");
    case RecordType::kSync:
      u64s(3);
      return absl::StrCat("inode ", n[0], ":", n[1], " covers ", n[2]);
    case RecordType::kDirSync:
      u64s(1), b.Str(&s[0]);
      return absl::StrCat("covers ", n[0], " '", s[0], "'");
    case RecordType::kSyncAll:
    case RecordType::kFailed:
      u64s(1);
      return absl::StrCat(n[0]);
    case RecordType::kRename:
      u64s(2), b.U8(&u[0]), b.U8(&u[1]), b.Str(&s[0]), b.Str(&s[1]), b.Str(&s[2]);
      return absl::StrCat("inode ", n[0], ":", n[1], " flags ", u[0], " target ", u[1], " '", s[0],
                          "' -> '", s[1], "' trash '", s[2], "'");
    case RecordType::kUnlink:
      u64s(2), b.Str(&s[0]), b.Str(&s[1]);
      return absl::StrCat("inode ", n[0], ":", n[1], " '", s[0], "' trash '", s[1], "'");
    case RecordType::kLink:
      u64s(2), b.Str(&s[0]);
      return absl::StrCat("inode ", n[0], ":", n[1], " '", s[0], "'");
    default:
      b.Str(&s[0]);
      return absl::StrCat("'", s[0], "'");
  }
}

}  // namespace

[[nodiscard]] absl::Status DumpJournal(Env* env, const std::string& journal, std::FILE* out) {
  ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(journal));
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(journal, OpenMode::kOpenExisting));
  JournalReader reader(std::move(file), size);
  Record r;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&r));
    if (!more) return absl::OkStatus();
    auto type = static_cast<size_t>(r.type);
    std::fprintf(out, "%llu pid %u %s %s\n", static_cast<unsigned long long>(r.offset), r.pid,
                 type < std::size(kTypeNames) ? kTypeNames[type] : "unknown", Describe(r).c_str());
  }
}

[[nodiscard]] absl::StatusOr<ReplayStats> RecoverFromJournal(Env* env, const std::string& journal,
                                                             const PowerLoss& options) {
  if (!env->FileExists(journal)) {
    return absl::NotFoundError(absl::StrCat("no journal at ", journal));
  }
  DurabilityModel model(env);
  ReplayStats stats;
  RETURN_NOT_OK_PREPEND(Replay(env, journal, &model, &stats), journal);
  RETURN_NOT_OK_PREPEND(model.ApplyPowerLoss(options), "applying the power loss");
  RETURN_NOT_OK(EmptyTrashAndJournal(env, journal));
  return stats;
}

}  // namespace etcdpp::powerloss
