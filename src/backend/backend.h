#pragma once
// Backend: the LMDB environment behind mvcc, lease, auth and membership (etcd's mvcc/backend).
//
// One LMDB file, <dir>/db (lock file <dir>/db-lock), with the named databases of schema.h.
//
// Writes are batched. A writer opens a BatchTx (at most one at a time: the applier thread, or
// the compactor between two of its txns), stages puts and deletes, and ends it; nothing touches
// LMDB on that path. The commit thread commits one LMDB write transaction every
// Options::batch_interval, or sooner once Options::batch_limit ops are staged. A commit never
// splits a BatchTx: everything staged under one BatchTx lands in the same LMDB transaction, so
// the consistent index stored in `meta` always matches the data it covers.
//
// Staged values are readable at once through the ReadBuffer (see read_buffer.h).
//
// Durability policy: every LMDB commit, background or forced, is a normal synchronous LMDB
// commit (no MDB_NOSYNC / MDB_NOMETASYNC unless Options::no_sync, etcd's --unsafe-no-fsync):
// when a commit returns, its data and the consistent index are on disk. Background commits cost
// one fdatasync per batch on the commit thread, never on the request path (the WAL is the
// durability log until then). ForceCommit() commits whatever is staged before returning. The
// directory entries are durable too: a newly created db file is made durable in its directory
// (Options::env's SyncDir) before Open returns, and ReplaceWith syncs the directory after its
// rename. LMDB does its own file I/O (it does not go through the Env); only the directory
// operations do.
//
// Failure policy: a failed commit, background or forced (disk full, map full, I/O error), is
// aborted whole (LMDB keeps its last committed state, so the file always reopens) and ends all
// committing: that commit and every later one return the error, which names the file and
// the LMDB error, and failed() reports it; the member stops cleanly on it (etcd panics on a
// failed bbolt commit). Staged writes stay readable meanwhile; nothing of them is lost, since
// the WAL holds every applied entry and replays those above the consistent index on restart.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backend/read_buffer.h"
#include "backend/schema.h"
#include "common/env.h"
#include "common/loop_thread.h"
#include "common/mutex.h"

typedef struct MDB_env MDB_env;
typedef struct MDB_txn MDB_txn;

namespace etcdpp::backend {

// Points of Defragment reported to Options::on_defrag_point.
enum class DefragPoint {
  kCopied,   // the copy holds the read view; the old file is untouched
  kSynced,   // the copy is complete and fsynced, not yet renamed
  kRenamed,  // the copy has replaced the db file; the old environment is still open
};

struct Options {
  std::string dir;       // holds the file "db"; created (durably) if missing
  Env* env = nullptr;    // directories and renames go through it; null: Env::Default(). Not owned.
  bool no_sync = false;  // MDB_NOSYNC | MDB_NOMETASYNC: commits are not fsynced (unsafe)
  absl::Duration batch_interval = absl::Milliseconds(100);
  size_t batch_limit = 10000;          // staged ops that trigger an early commit
  size_t map_size = size_t{64} << 30;  // LMDB map size (address space, not disk)
  unsigned max_readers = 1024;         // concurrent read transactions
  bool background_commits = true;      // false: only ForceCommit commits (tests)
  // Called after each commit that wrote something, with the time LMDB's commit took (the
  // server's etcd_disk_backend_commit_duration_seconds). Any committing thread.
  std::function<void(absl::Duration)> on_commit;
  // Tests: called at the named points of each Defragment (on its thread), e.g. to kill the
  // process there.
  std::function<void(DefragPoint)> on_defrag_point;
};

class BatchTx;
class ReadSnapshot;

// What one Defragment did (the Defragment RPC logs it; the tests and the bench read it).
struct DefragStats {
  int64_t size_before = 0;  // file sizes in bytes
  int64_t size_after = 0;
  size_t caught_up_ops = 0;     // puts and deletes committed during the copy, carried over
  absl::Duration duration;      // the whole defragmentation
  absl::Duration commit_pause;  // commits waited this long (staged writes and reads did not)
  absl::Duration reader_pause;  // reads of the backend waited this long (the env swap)
};

class Backend {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Backend>> Open(const Options& options);
  // Stops the commit thread, commits what is staged, closes the environment.
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // Commits everything staged so far and returns once it is durable, or the commit error (see
  // the failure policy above). Must not be called by a thread that holds a BatchTx.
  [[nodiscard]] absl::Status ForceCommit();
  // The error of the first failed commit, or OK. Once set, nothing is committed any more.
  [[nodiscard]] absl::Status failed() const;

  // --- Reads: any thread, concurrent with the writer and the committer. They see every staged
  // write (committed or not).
  // The value of `key`, or NotFound.
  [[nodiscard]] absl::StatusOr<std::string> Get(Bucket b, std::string_view key) const;
  // Looks up each of `keys`; calls fn(i, value) for those present (value valid for the call).
  [[nodiscard]] absl::Status GetMany(Bucket b, const std::vector<std::string>& keys,
                                     absl::FunctionRef<void(size_t, std::string_view)> fn) const;
  // Visits the pairs with from <= key < to (to "" = no upper bound) in key order until fn
  // returns false.
  [[nodiscard]] absl::Status Range(
      Bucket b, std::string_view from, std::string_view to,
      absl::FunctionRef<bool(std::string_view, std::string_view)> fn) const;

  // Size of the database file in bytes, and the bytes of it in use (etcd's dbSize and
  // dbSizeInUse; the difference is free pages a defragmentation would return).
  int64_t Size() const;
  int64_t SizeInUse() const;
  // LMDB read transactions open now (etcd's etcd_mvcc_db_open_read_transactions).
  int64_t OpenReadTxns() const { return open_reads_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

  // ---- Raft snapshots (backend_snapshot.cc).
  // Writes a consistent copy of the committed database (one LMDB read transaction) to `fd`,
  // sequentially (a pipe is fine). Uncommitted staged writes are not in it: ForceCommit first
  // when they must be. Any thread; concurrent with writes and commits.
  [[nodiscard]] absl::Status CopyTo(int fd) const;
  // A consistent view of the committed database: one LMDB read transaction, for as long as the
  // returned object lives (etcd's snapshot export reads all buckets from it). Uncommitted staged
  // writes are not in it: ForceCommit first when they must be. Writers and commits go on
  // meanwhile (LMDB cannot reuse the pages the view still sees, so the file may grow while it
  // lives); ReplaceWith waits for it to end. Any thread, but the thread that holds a view must
  // not commit (ForceCommit, Defragment, ReplaceWith) until it ends: a commit takes commit_mu_
  // and then env_mu_, so a view holder waiting for commit_mu_ deadlocks with a ReplaceWith that
  // holds commit_mu_ and waits for the view to end (TSan reports the inverted order).
  [[nodiscard]] absl::StatusOr<std::unique_ptr<ReadSnapshot>> OpenReadSnapshot() const;
  // Replaces the whole database with the LMDB file at `file` (a copy made by CopyTo, fsynced,
  // in the same directory): waits for the open BatchTx and any commit, drops what is staged,
  // closes the environment, renames `file` over the db file, syncs the directory and reopens.
  // Readers wait meanwhile and then see the new contents. An error says the rename or the
  // directory sync failed (the old or the new file is open again; which one is not known after a
  // failed sync): the caller must not go on as if the swap happened. Must not be called by a
  // thread that holds a BatchTx.
  [[nodiscard]] absl::Status ReplaceWith(const std::string& file);

  // ---- Defragmentation (backend_defrag.cc; docs/design/defrag.md).
  // Replaces the db file with a compacting copy while reads, writes and commits go on: commits
  // wait only for the last catch-up and the swap (DefragStats::commit_pause), reads only for the
  // environment swap (reader_pause). Returns once the new file is in place. One at a time; must
  // not be called by a thread that holds a BatchTx. An error before the swap leaves the old
  // file in place and nothing else changed; a raft snapshot installed meanwhile (ReplaceWith)
  // abandons the copy (Aborted).
  [[nodiscard]] absl::StatusOr<DefragStats> Defragment();
  // The scratch file of Defragment: <db>.defrag (a stray one is removed by Open).
  std::string DefragPath() const;

  // Staged ops not yet handed to a commit (tests, metrics).
  size_t PendingOpsForTest() const { return buffer_.PendingOps(); }

 private:
  friend class BatchTx;
  friend class ReadSnapshot;
  Backend(const Options& options, std::string path, MDB_env* env, std::vector<unsigned> dbis);
  void CommitLoop();
  [[nodiscard]] absl::Status CommitStaged();
  void Signal();
  // Defragment's delta: the batches committed since its read view (backend_defrag.cc).
  void RecordDelta(const ReadBuffer::Maps& maps);
  std::vector<ReadBuffer::Maps> TakeDelta();
  void StopDelta();

  // Constant after construction.
  const Options options_;  // options_.env is set
  const std::string path_;
  // Replaced only by ReplaceWith, under env_mu_ held exclusively; readers hold it shared while
  // they use the environment (reader-preferring, so a reader may re-enter from a callback).
  mutable std::shared_mutex env_mu_;
  MDB_env* env_;
  std::vector<unsigned> dbis_;  // indexed by Bucket

  ReadBuffer buffer_;
  // Read transactions begun and not yet ended (ReadTxn in backend.cc, ReadSnapshot).
  mutable std::atomic<int64_t> open_reads_{0};

  // Lock order: commit_mu_ before batch_mu_ (before the ReadBuffer's lock).
  // Serializes commits (commit thread and ForceCommit).
  Mutex commit_mu_ ABSL_ACQUIRED_BEFORE(batch_mu_);
  mutable Mutex failed_mu_;
  absl::Status failed_ ABSL_GUARDED_BY(failed_mu_);  // the first commit error
  // Held by a BatchTx for its whole life, and by a commit while it takes the staged batch, so a
  // commit never splits a BatchTx.
  Mutex batch_mu_;

  // Bumped by ReplaceWith: a defragmentation that began before it is abandoned.
  uint64_t generation_ ABSL_GUARDED_BY(commit_mu_) = 0;
  Mutex defrag_mu_;  // one Defragment at a time
  Mutex delta_mu_ ABSL_ACQUIRED_AFTER(commit_mu_);
  bool delta_active_ ABSL_GUARDED_BY(delta_mu_) = false;
  std::vector<ReadBuffer::Maps> delta_ ABSL_GUARDED_BY(delta_mu_);

  LoopThread committer_;  // runs CommitLoop() when options_.background_commits
  bool kick_ ABSL_GUARDED_BY(committer_.mu()) = false;  // commit now, not at the interval
};

// The one open write batch. Holds the backend's batch lock from construction to End() (or
// destruction). Staged writes are visible to readers at once and committed later.
class ABSL_SCOPED_LOCKABLE BatchTx {
 public:
  explicit BatchTx(Backend* be) ABSL_EXCLUSIVE_LOCK_FUNCTION(be->batch_mu_);
  ~BatchTx() ABSL_UNLOCK_FUNCTION();
  BatchTx(const BatchTx&) = delete;
  BatchTx& operator=(const BatchTx&) = delete;

  void Put(Bucket b, std::string_view key, std::string value);
  void Delete(Bucket b, std::string_view key);
  // Releases the batch lock; the object must not be used afterwards.
  void End() ABSL_UNLOCK_FUNCTION();

 private:
  Backend* const be_;
  bool ended_ = false;
};

// See Backend::OpenReadSnapshot. Must not outlive its backend.
class ReadSnapshot {
 public:
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

  // Visits every pair of bucket `b` in key order until fn returns false; the views are valid
  // during the call only.
  [[nodiscard]] absl::Status ForEach(
      Bucket b, absl::FunctionRef<bool(std::string_view, std::string_view)> fn) const;

 private:
  friend class Backend;
  ReadSnapshot(const Backend* be, std::shared_lock<std::shared_mutex> env_lock, MDB_txn* txn)
      : be_(be), env_lock_(std::move(env_lock)), txn_(txn) {}

  const Backend* const be_;
  std::shared_lock<std::shared_mutex> env_lock_;  // keeps ReplaceWith from closing the env
  MDB_txn* const txn_;
};

}  // namespace etcdpp::backend
