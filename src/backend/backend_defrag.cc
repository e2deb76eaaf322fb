// Backend::Defragment: a compacting copy of the database made while the member keeps serving
// (docs/design/defrag.md).
//
//   1. Under the commit lock: open a read transaction on the live file and start recording
//      every later commit (the delta). The two happen between the same two commits, so the
//      read view plus the delta is exactly the database.
//   2. No lock: copy every bucket from the read view into <db>.defrag, in key order with
//      MDB_APPEND (pages filled densely, no free pages), in unsynced transactions. Then apply
//      the delta recorded meanwhile, a few rounds, each round shorter than the last.
//   3. Under the commit lock (commits wait; the writer keeps staging into the read buffer and
//      readers keep reading the old file): apply the last of the delta, fsync the copy, rename it
//      over the db file and sync the directory. Then, under the environment lock held
//      exclusively (readers wait), close the old environment and open the new one.
//
// A crash before the rename leaves the old file whole and a stray <db>.defrag (removed by the
// next Open); after the rename, the new file, synced before it, holds everything the old one
// did. Either way the consistent index in the file matches its data.

#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backend/backend.h"
#include "backend/lmdb_env.h"
#include "common/failpoint.h"
#include "common/status.h"

namespace etcdpp::backend {
namespace {

MDB_val ToVal(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

// The copy is written unsynced, in small transactions whose pages are handed to writeback at
// once (sync_file_range), and fsynced every kCopySyncBytes: the dirty data a WAL fsync may queue
// behind stays small.
constexpr size_t kCopyTxnBytes = size_t{2} << 20;
constexpr size_t kCopySyncBytes = size_t{16} << 20;
// Catch-up rounds before the final, locked one; a round that finds fewer ops than this is the
// last unlocked one.
constexpr int kMaxCatchUpRounds = 8;
constexpr size_t kSmallDelta = 2000;

[[nodiscard]] absl::Status DefragError(int rc, std::string_view what, std::string_view path) {
  return absl::InternalError(absl::StrCat("backend: defragment ", std::string(path), ": ",
                                          std::string(what), ": ", mdb_strerror(rc)));
}

// The copy being built; closes (without syncing) on destruction unless Close was called.
class Target {
 public:
  explicit Target(std::string path) : path_(std::move(path)) {}
  ~Target() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    if (env_ != nullptr) mdb_env_close(env_);
  }
  absl::Status Open(Options options) {
    options.no_sync = true;  // synced once, at the end
    return OpenLmdbEnv(options, path_, &env_, &dbis_);
  }
  absl::Status Begin() {
    if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn_); rc != 0) {
      txn_ = nullptr;
      return DefragError(rc, "begin", path_);
    }
    bytes_ = 0;
    return absl::OkStatus();
  }
  absl::Status Commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    return rc == 0 ? absl::OkStatus() : DefragError(rc, "commit", path_);
  }
  // Appends during the copy (keys arrive in order within a bucket).
  absl::Status Append(size_t bucket, std::string_view key, std::string_view value) {
    MDB_val k = ToVal(key), v = ToVal(value);
    if (int rc = mdb_put(txn_, dbis_[bucket], &k, &v, MDB_APPEND); rc != 0) {
      return DefragError(rc, absl::StrCat("copy ", kBucketNames[bucket]), path_);
    }
    bytes_ += key.size() + value.size();
    if (bytes_ < kCopyTxnBytes) return absl::OkStatus();
    unsynced_ += bytes_;
    RETURN_NOT_OK(Commit());
    if (unsynced_ >= kCopySyncBytes) {
      RETURN_NOT_OK(Flush());
      unsynced_ = 0;
    } else if (mdb_filehandle_t fd; mdb_env_get_fd(env_, &fd) == 0) {
      ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);  // start writeback; no wait
    }
    return Begin();
  }
  // Writes what is committed so far to disk (outside any lock of the live database, so the
  // final, locked sync has only the last catch-up to write).
  absl::Status Flush() {
    int rc = mdb_env_sync(env_, 1);
    return rc == 0 ? absl::OkStatus() : DefragError(rc, "sync", path_);
  }
  // Applies recorded commits in order, in one transaction.
  absl::Status ApplyDelta(const std::vector<ReadBuffer::Maps>& delta) {
    RETURN_NOT_OK(Begin());
    for (const ReadBuffer::Maps& maps : delta) {
      for (size_t i = 0; i < kNumBuckets; ++i) {
        for (const auto& [key, value] : maps[i]) {
          MDB_val k = ToVal(key);
          int rc;
          if (value.has_value()) {
            MDB_val v = ToVal(*value);
            rc = mdb_put(txn_, dbis_[i], &k, &v, 0);
          } else {
            rc = mdb_del(txn_, dbis_[i], &k, nullptr);
            if (rc == MDB_NOTFOUND) rc = 0;
          }
          if (rc != 0) return DefragError(rc, absl::StrCat("catch up ", kBucketNames[i]), path_);
        }
      }
    }
    return Commit();
  }
  // Flushes the copy to disk and closes it.
  absl::Status SyncAndClose() {
    int rc = mdb_env_sync(env_, 1);
    mdb_env_close(env_);
    env_ = nullptr;
    return rc == 0 ? absl::OkStatus() : DefragError(rc, "sync", path_);
  }

 private:
  const std::string path_;
  MDB_env* env_ = nullptr;
  std::vector<unsigned> dbis_;
  MDB_txn* txn_ = nullptr;
  size_t bytes_ = 0;     // in the open transaction
  size_t unsynced_ = 0;  // committed since the last Flush
};

// Frees the blocks of the replaced (unlinked) file a slice at a time before closing it: one
// close of a large unlinked file frees all its blocks in one filesystem transaction, and a WAL
// fsync behind it waited ~100 ms for 400 MB on ext4 in bench/defrag_under_load.py.
void ReleaseGently(int fd) {
  constexpr off_t kSlice = off_t{16} << 20;
  struct stat st;
  if (::fstat(fd, &st) == 0) {
    for (off_t size = st.st_size; size > 0;) {
      size = size > kSlice ? size - kSlice : 0;
      if (::ftruncate(fd, size) != 0) break;
      ::usleep(2000);
    }
  }
  ::close(fd);
}

size_t CountOps(const std::vector<ReadBuffer::Maps>& delta) {
  size_t n = 0;
  for (const ReadBuffer::Maps& maps : delta) {
    for (const auto& m : maps) n += m.size();
  }
  return n;
}

}  // namespace

std::string Backend::DefragPath() const { return path_ + ".defrag"; }

void Backend::RecordDelta(const ReadBuffer::Maps& maps) {
  MutexLock l(&delta_mu_);
  if (delta_active_) delta_.push_back(maps);
}

std::vector<ReadBuffer::Maps> Backend::TakeDelta() {
  MutexLock l(&delta_mu_);
  return std::exchange(delta_, {});
}

void Backend::StopDelta() {
  MutexLock l(&delta_mu_);
  delta_active_ = false;
  delta_.clear();
}

absl::StatusOr<DefragStats> Backend::Defragment() {
  MutexLock defrag_lock(&defrag_mu_);
  const absl::Time start = absl::Now();
  DefragStats stats;
  stats.size_before = Size();
  const std::string tmp = DefragPath();
  Env* fs = options_.env;
  auto remove_tmp = [&] {
    for (const std::string& f : {tmp, tmp + "-lock"}) {
      if (fs->FileExists(f)) (void)fs->RemoveFile(f);
    }
  };
  remove_tmp();
  // What is staged now (a compaction's deletes that just finished, say) must be in the view,
  // not carried over into the new file after the copy: the copy would keep their garbage.
  RETURN_NOT_OK(ForceCommit());

  // 1. The read view and the start of the delta, between the same two commits.
  uint64_t generation;
  std::unique_ptr<ReadSnapshot> view;
  {
    MutexLock commit_lock(&commit_mu_);
    RETURN_NOT_OK(failed());
    generation = generation_;
    ASSIGN_OR_RETURN(view, OpenReadSnapshot());
    MutexLock l(&delta_mu_);
    delta_active_ = true;
    delta_.clear();
  }
  absl::Cleanup stop = [&] {
    StopDelta();
    remove_tmp();
  };

  // 2. The copy, then catch-up rounds; nothing of the live database is locked.
  ETCDPP_FAILPOINT_OR_RETURN(defragBeforeCopy);
  auto target = std::make_unique<Target>(tmp);
  RETURN_NOT_OK(target->Open(options_));
  RETURN_NOT_OK(target->Begin());
  for (size_t i = 0; i < kNumBuckets; ++i) {
    absl::Status copy;
    RETURN_NOT_OK(
        view->ForEach(static_cast<Bucket>(i), [&](std::string_view k, std::string_view v) {
          copy = target->Append(i, k, v);
          return copy.ok();
        }));
    RETURN_NOT_OK(copy);
  }
  RETURN_NOT_OK(target->Commit());
  RETURN_NOT_OK(target->Flush());
  view.reset();  // lets LMDB reuse the pages it pinned
  if (options_.on_defrag_point) options_.on_defrag_point(DefragPoint::kCopied);
  for (int round = 0; round < kMaxCatchUpRounds; ++round) {
    std::vector<ReadBuffer::Maps> delta = TakeDelta();
    const size_t ops = CountOps(delta);
    stats.caught_up_ops += ops;
    RETURN_NOT_OK(target->ApplyDelta(delta));
    if (ops < kSmallDelta) break;
  }

  // 3. The last of the delta and the swap; commits wait from here on. The old file stays open
  // through `old_file` until every lock is released: the last close of a large unlinked file
  // frees its blocks, which takes the filesystem a while.
  int old_file = -1;
  absl::Cleanup close_old = [&] {
    if (old_file >= 0) ReleaseGently(old_file);
  };
  MutexLock commit_lock(&commit_mu_);
  const absl::Time pause_start = absl::Now();
  if (generation_ != generation) {
    return absl::AbortedError(
        "backend: defragment abandoned: a raft snapshot replaced the database meanwhile");
  }
  RETURN_NOT_OK(failed());
  {
    std::vector<ReadBuffer::Maps> delta = TakeDelta();
    stats.caught_up_ops += CountOps(delta);
    RETURN_NOT_OK(target->ApplyDelta(delta));
  }
  RETURN_NOT_OK(target->SyncAndClose());
  if (options_.on_defrag_point) options_.on_defrag_point(DefragPoint::kSynced);
  old_file = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  // Readers still read the old file through its open environment; the name now points at the
  // new one, which holds the same data.
  ETCDPP_FAILPOINT_OR_RETURN(defragBeforeRename);
  RETURN_NOT_OK_PREPEND(fs->RenameFile(tmp, path_), "backend: defragment: cannot rename");
  absl::Status dir_synced = fs->SyncDir(DirName(path_));
  if (options_.on_defrag_point) options_.on_defrag_point(DefragPoint::kRenamed);
  {
    std::unique_lock env_lock(env_mu_);
    const absl::Time swap_start = absl::Now();
    mdb_env_close(env_);
    env_ = nullptr;
    absl::Status open = OpenLmdbEnv(options_, path_, &env_, &dbis_);
    if (!open.ok()) {
      // Readers would use a closed environment: there is no way on.
      std::fprintf(stderr, "backend: cannot reopen %s after defragmenting: %s\n", path_.c_str(),
                   open.ToString().c_str());
      std::abort();
    }
    stats.reader_pause = absl::Now() - swap_start;
  }
  stats.commit_pause = absl::Now() - pause_start;
  stats.size_after = Size();
  stats.duration = absl::Now() - start;
  if (!dir_synced.ok()) {
    // The new file is in use; only its name may not be durable yet (the old file, if it comes
    // back after a crash, holds the same data).
    return absl::InternalError(
        absl::StrCat("backend: defragment: cannot sync directory: ", dir_synced.message()));
  }
  return stats;
}

}  // namespace etcdpp::backend
