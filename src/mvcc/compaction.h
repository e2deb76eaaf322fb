#pragma once
// Physical compaction: removing the compacted revisions from the backend's key bucket, in
// chunks so the writer is never held for long (etcd's scheduleCompaction), on the compactor's
// own thread, in the order the compactions were scheduled.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "backend/backend.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "mvcc/key_index.h"

namespace etcdpp::mvcc {

// Revisions visited per chunk (etcd's compaction batch limit).
inline constexpr size_t kCompactionBatchLimit = 1000;

// What compactions report as they go (the server makes etcd's etcd_debugging_mvcc_*
// compaction metrics of them); unset functions are skipped. Called on the thread compacting.
struct CompactionReport {
  std::function<void(absl::Duration)> index_pause;  // the key index compacted (writer thread)
  std::function<void(absl::Duration)> db_pause;     // one chunk (read and deletes) but the last
  // A physical compaction finished: how long it took and how many entries it deleted.
  std::function<void(absl::Duration, size_t keys)> db_done;
};

// Deletes the key-bucket entries with revision <= rev that are not in `keep`, then records
// finishedCompactRev = rev. Stops early (returning false) when *stop becomes true.
bool RunPhysicalCompaction(backend::Backend* be, int64_t rev, const RevisionSet& keep,
                           const std::atomic<bool>* stop, const CompactionReport& report = {});

// One scheduled compaction; Wait() returns once it finished (or was abandoned at shutdown).
class CompactionJob {
 public:
  CompactionJob(int64_t rev, RevisionSet keep) : rev_(rev), keep_(std::move(keep)) {}
  int64_t rev() const { return rev_; }
  const RevisionSet& keep() const { return keep_; }
  void MarkDone();
  void Wait();

 private:
  const int64_t rev_;
  const RevisionSet keep_;
  Mutex mu_;
  CondVar cv_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

// A FIFO worker thread running compaction jobs.
class Compactor {
 public:
  // The compactor shares `report` (it may outlive the store that made it: KvStore::Reload).
  Compactor(backend::Backend* be, std::shared_ptr<const CompactionReport> report);
  // Abandons queued jobs (their waiters return) and joins the thread.
  ~Compactor();

  // shared_ptr: the job is shared by the queue and the waiter function the caller keeps.
  void Schedule(std::shared_ptr<CompactionJob> job);

 private:
  void Loop();

  backend::Backend* const be_;
  const std::shared_ptr<const CompactionReport> report_;
  std::atomic<bool> stop_{false};  // set first on destruction: ends a compaction in its chunks
  LoopThread loop_;                // runs Loop()
  std::deque<std::shared_ptr<CompactionJob>> queue_ ABSL_GUARDED_BY(loop_.mu());
};

}  // namespace etcdpp::mvcc
