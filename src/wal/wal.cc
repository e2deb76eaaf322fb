#include "wal/wal.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/failpoint.h"
#include "common/status.h"

namespace etcdpp::wal {
namespace {

std::string WithoutTrailingSlash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

[[nodiscard]] absl::Status Corrupt(const std::string& path, uint64_t offset,
                                   absl::string_view reason) {
  return absl::DataLossError(
      absl::StrCat("wal: corrupt record in ", path, " at offset ", offset, ": ", reason));
}

}  // namespace

std::string Wal::TornTail::ToString() const {
  return absl::StrCat("cut a torn final record of ", length, " bytes at offset ", offset, " of ",
                      path, ": ", reason);
}

Wal::Wal(Env* env, std::string dir, Options opts)
    : env_(env), dir_(WithoutTrailingSlash(std::move(dir))), opts_(opts) {}

Wal::~Wal() { Close().IgnoreError(); }

bool Wal::Exists(Env* env, const std::string& dir) {
  if (!env->IsDirectory(dir)) return false;
  auto names = ListSegments(env, dir);
  return names.ok() && !names->empty();
}

std::string Wal::PathOf(const SegmentName& name) const { return JoinPath(dir_, name.ToString()); }

absl::StatusOr<std::unique_ptr<Wal>> Wal::Create(Env* env, const std::string& dir,
                                                 std::string metadata, Options opts) {
  if (Exists(env, dir)) return absl::AlreadyExistsError(absl::StrCat("wal: ", dir, " exists"));
  std::unique_ptr<Wal> wal(new Wal(env, dir, opts));
  MutexLock l(&wal->mu_);
  // Build the first segment in <dir>.tmp and rename it into place, so a crash leaves no half WAL.
  const std::string tmp_dir = wal->dir_ + ".tmp";
  const SegmentName first{0, 0};
  RETURN_NOT_OK(env->RemoveAll(tmp_dir));
  RETURN_NOT_OK(env->CreateDirs(tmp_dir));
  {
    ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                     env->OpenFile(JoinPath(tmp_dir, first.ToString()), OpenMode::kCreateNew));
    RETURN_NOT_OK(f->Preallocate(opts.segment_size));
    wal->metadata_ = std::move(metadata);
    std::string batch;
    wal->AppendSegmentHeaderLocked(&batch);
    AppendRecord(RecordType::kSnapshot, EncodeSnapshot(WalSnapshot{}), &wal->crc_, &batch);
    RETURN_NOT_OK(f->WriteAt(0, batch));
    RETURN_NOT_OK(f->Fsync());
    RETURN_NOT_OK(f->Close());
    wal->tail_offset_ = batch.size();
  }
  RETURN_NOT_OK(env->SyncDir(tmp_dir));
  RETURN_NOT_OK(env->RemoveAll(wal->dir_));  // as etcd: an empty or non-WAL dir is replaced
  RETURN_NOT_OK(env->RenameFile(tmp_dir, wal->dir_));
  RETURN_NOT_OK(env->SyncDir(DirName(wal->dir_)));

  ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(wal->PathOf(first)));
  wal->segments_.push_back(Segment{first, std::move(lock)});
  ASSIGN_OR_RETURN(wal->tail_, env->OpenFile(wal->PathOf(first), OpenMode::kOpenExisting));
  wal->read_done_ = true;
  return wal;
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(Env* env, const std::string& dir, WalSnapshot snap,
                                               Options opts) {
  ASSIGN_OR_RETURN(std::vector<SegmentName> names, ListSegments(env, dir));
  std::optional<size_t> from = SearchIndex(names, snap.index);
  if (!from) {
    return absl::NotFoundError(absl::StrCat("wal: file not found (no segment in ", dir,
                                            " at or below index ", snap.index, ")"));
  }
  if (!IsContiguous(names, *from)) {
    return absl::DataLossError(absl::StrCat("wal: segment sequence in ", dir, " has a gap"));
  }
  std::unique_ptr<Wal> wal(new Wal(env, dir, opts));
  MutexLock l(&wal->mu_);
  wal->start_ = snap;
  for (size_t i = *from; i < names.size(); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(wal->PathOf(names[i])));
    wal->segments_.push_back(Segment{names[i], std::move(lock)});
  }
  return wal;
}

absl::StatusOr<Wal::Contents> Wal::ReadAll() {
  MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("wal: closed");
  if (read_done_) return absl::FailedPreconditionError("wal: ReadAll only once, after Open");
  Contents out;
  RETURN_NOT_OK(ReplayLocked(&out));
  read_done_ = true;
  return out;
}

// Reads every segment in order; the loop body classifies each record.
absl::Status Wal::ReplayLocked(Contents* out) {
  ReplayState rs{out};
  crc_ = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const bool last = i + 1 == segments_.size();
    const std::string path = PathOf(segments_[i].name);
    ASSIGN_OR_RETURN(std::string buf, env_->ReadFileToString(path));
    SegmentReader reader(buf, crc_);
    for (;;) {
      const uint64_t at = reader.offset();
      Record rec;
      SegmentReader::Result res = reader.Next(&rec);
      if (res == SegmentReader::Result::kEnd) break;
      if (res == SegmentReader::Result::kBad) {
        if (!last || !reader.may_be_torn()) return Corrupt(path, at, reader.reason());
        // A write cut short by a crash: OpenTailLocked cuts it off.
        out->torn_tail = TornTail{path, at, reader.bad_end() - at, reader.reason()};
        break;
      }
      RETURN_NOT_OK(ApplyRecordLocked(rec, path, at, &rs));
    }
    crc_ = reader.crc();
    if (last) tail_offset_ = reader.offset();
  }
  if (!rs.snap_found) return absl::NotFoundError("wal: snapshot not found");
  out->metadata = metadata_;
  out->state = state_;
  return OpenTailLocked(out->torn_tail.has_value());
}

absl::Status Wal::ApplyRecordLocked(const Record& rec, const std::string& path, uint64_t offset,
                                    ReplayState* rs) {
  switch (rec.type) {
    case RecordType::kMetadata:
      if (rs->metadata_seen && rec.data != metadata_) {
        return Corrupt(path, offset, "metadata differs from the earlier segments'");
      }
      metadata_.assign(rec.data.data(), rec.data.size());
      rs->metadata_seen = true;
      return absl::OkStatus();
    case RecordType::kEntry: {
      absl::StatusOr<raft::Entry> e = DecodeEntry(rec.data);
      if (!e.ok()) return Corrupt(path, offset, e.status().message());
      last_index_ = e->index;
      if (e->index > start_.index) {
        std::vector<raft::Entry>& ents = rs->out->entries;
        uint64_t keep = e->index - start_.index - 1;  // entries before this one
        if (keep > ents.size()) {
          return Corrupt(
              path, offset,
              absl::StrCat("entry ", e->index, " leaves a gap after ", start_.index + ents.size()));
        }
        ents.resize(keep);
        ents.push_back(*std::move(e));
      }
      return absl::OkStatus();
    }
    case RecordType::kState: {
      absl::StatusOr<raft::HardState> st = DecodeHardState(rec.data);
      if (!st.ok()) return Corrupt(path, offset, st.status().message());
      state_ = *st;
      return absl::OkStatus();
    }
    case RecordType::kSnapshot: {
      absl::StatusOr<WalSnapshot> snap = DecodeSnapshot(rec.data);
      if (!snap.ok()) return Corrupt(path, offset, snap.status().message());
      if (snap->index == start_.index) {
        if (snap->term != start_.term)
          return absl::FailedPreconditionError("wal: snapshot mismatch");
        rs->snap_found = true;
      }
      last_index_ = std::max(last_index_, snap->index);
      return absl::OkStatus();
    }
    case RecordType::kCrc:
      return absl::OkStatus();  // the reader checked and carried the chain
  }
  return Corrupt(path, offset, "unknown record type");
}

absl::Status Wal::OpenTailLocked(bool zero_rest) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                   env_->OpenFile(PathOf(segments_.back().name), OpenMode::kOpenExisting));
  if (zero_rest) {
    // The torn record follows; zero it, so that no shorter batch written over it can leave
    // non-zero bytes after the new records (which the next ReadAll would call corruption).
    ASSIGN_OR_RETURN(uint64_t size, f->Size());
    RETURN_NOT_OK(f->Truncate(tail_offset_));
    RETURN_NOT_OK(f->Preallocate(std::max(size, opts_.segment_size)));
  }
  RETURN_NOT_OK(SyncReadLocked(f.get()));
  tail_ = std::move(f);
  return absl::OkStatus();
}

// After a process crash the page cache still holds whatever was written and never synced: the
// tail's last batch (a crash between pwrite and fdatasync, or a failed fdatasync), the name of a
// segment whose cut never synced the directory, the WAL directory's own name when Create's last
// sync never ran. ReadAll just returned all that, and the caller acts on it (raft acknowledges
// the entries), so it must be on disk before. Earlier segments are always synced: a cut fsyncs
// the old tail before it makes the next segment.
absl::Status Wal::SyncReadLocked(File* tail) {
  RETURN_NOT_OK(tail->Fsync());
  RETURN_NOT_OK(env_->SyncDir(dir_));
  return env_->SyncDir(DirName(dir_));
}

absl::Status Wal::Save(const raft::HardState& st, const std::vector<raft::Entry>& ents) {
  MutexLock l(&mu_);
  RETURN_NOT_OK(CheckWritableLocked());
  if (st.IsEmpty() && ents.empty()) return absl::OkStatus();
  std::string batch;
  for (const raft::Entry& e : ents) AppendRecord(RecordType::kEntry, EncodeEntry(e), &crc_, &batch);
  if (!ents.empty()) last_index_ = ents.back().index;
  if (!st.IsEmpty()) {
    AppendRecord(RecordType::kState, EncodeHardState(st), &crc_, &batch);
    state_ = st;
  }
  return AppendLocked(batch);
}

absl::Status Wal::SaveSnapshot(const WalSnapshot& snap) {
  MutexLock l(&mu_);
  RETURN_NOT_OK(CheckWritableLocked());
  std::string batch;
  AppendRecord(RecordType::kSnapshot, EncodeSnapshot(snap), &crc_, &batch);
  last_index_ = std::max(last_index_, snap.index);
  return AppendLocked(batch);
}

absl::Status Wal::AppendLocked(const std::string& batch) {
  absl::Status s = tail_->WriteAt(tail_offset_, batch);
  if (s.ok()) s = SyncTailLocked();
  if (s.ok()) {
    bytes_written_.fetch_add(batch.size(), std::memory_order_relaxed);
    tail_offset_ += batch.size();
    if (tail_offset_ >= opts_.segment_size) s = CutLocked();
  }
  if (!s.ok()) write_error_ = s;
  return s;
}

absl::Status Wal::SyncTailLocked() {
  ETCDPP_FAILPOINT_OR_RETURN(walBeforeSync);
  RETURN_NOT_OK(tail_->Sync());
  ETCDPP_FAILPOINT_OR_RETURN(walAfterSync);
  return absl::OkStatus();
}

absl::Status Wal::CutLocked() {
  RETURN_NOT_OK(tail_->Truncate(tail_offset_));
  RETURN_NOT_OK(tail_->Fsync());
  const SegmentName next{segments_.back().name.seq + 1, last_index_ + 1};
  const std::string path = PathOf(next);
  const std::string tmp = path + ".tmp";
  std::string header;
  AppendSegmentHeaderLocked(&header);
  {
    ASSIGN_OR_RETURN(std::unique_ptr<File> f, env_->OpenFile(tmp, OpenMode::kCreateOrTruncate));
    RETURN_NOT_OK(f->Preallocate(opts_.segment_size));
    RETURN_NOT_OK(f->WriteAt(0, header));
    bytes_written_.fetch_add(header.size(), std::memory_order_relaxed);
    RETURN_NOT_OK(f->Fsync());
    RETURN_NOT_OK(f->Close());
  }
  RETURN_NOT_OK(env_->RenameFile(tmp, path));
  RETURN_NOT_OK(env_->SyncDir(dir_));
  ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env_->LockFile(path));
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, env_->OpenFile(path, OpenMode::kOpenExisting));
  RETURN_NOT_OK(tail_->Close());
  tail_ = std::move(f);
  tail_offset_ = header.size();
  segments_.push_back(Segment{next, std::move(lock)});
  return absl::OkStatus();
}

void Wal::AppendSegmentHeaderLocked(std::string* out) {
  AppendRecord(RecordType::kCrc, "", &crc_, out);
  AppendRecord(RecordType::kMetadata, metadata_, &crc_, out);
  if (!state_.IsEmpty()) AppendRecord(RecordType::kState, EncodeHardState(state_), &crc_, out);
}

absl::Status Wal::ReleaseLockTo(uint64_t index, size_t keep_at_least) {
  MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("wal: closed");
  const size_t release = ReleasableLocked(index, keep_at_least);
  size_t removed = 0;
  absl::Status s;
  while (removed < release && (s = RemoveSegmentFile(segments_[removed].name)).ok()) ++removed;
  // Forget exactly the files that are gone (dropping their locks), so that segments_ matches the
  // disk after a failure too and a later call carries on from there.
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(removed));
  return s;
}

size_t Wal::ReleasableLocked(uint64_t index, size_t keep_at_least) const {
  // As etcd: keep the last segment that starts below `index` (it may hold entries up to it).
  size_t keep_from = segments_.size() - 1;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].name.index >= index) {
      keep_from = i == 0 ? 0 : i - 1;
      break;
    }
  }
  if (keep_at_least > 0) {
    keep_from = std::min(keep_from, segments_.size() - std::min(segments_.size(), keep_at_least));
  }
  return keep_from;
}

// The file is removed while its lock is still held (POSIX allows it), so that a failed removal
// leaves the segment locked. NotFound counts as removed: the file is gone, which is all a
// release wants, and its entries are below the released index. Only something outside this Wal
// can have deleted it (an operator); failing would stop the member over a file nobody needs.
absl::Status Wal::RemoveSegmentFile(const SegmentName& name) const {
  absl::Status s = env_->RemoveFile(PathOf(name));
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

absl::Status Wal::Close() {
  MutexLock l(&mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  absl::Status s;
  if (tail_ != nullptr) {
    if (write_error_.ok()) s = tail_->Sync();
    absl::Status c = tail_->Close();
    if (s.ok()) s = c;
    tail_.reset();
  }
  segments_.clear();
  return s;
}

absl::Status Wal::CheckWritableLocked() {
  if (closed_) return absl::FailedPreconditionError("wal: closed");
  if (!write_error_.ok()) return write_error_;
  if (tail_ == nullptr)
    return absl::FailedPreconditionError("wal: ReadAll must come before writes");
  return absl::OkStatus();
}

std::vector<std::string> Wal::SegmentNamesForTest() {
  MutexLock l(&mu_);
  std::vector<std::string> names;
  for (const Segment& s : segments_) names.push_back(s.name.ToString());
  return names;
}

}  // namespace etcdpp::wal
