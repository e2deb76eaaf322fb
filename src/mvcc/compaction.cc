#include "mvcc/compaction.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "backend/schema.h"
#include "common/failpoint.h"
#include "mvcc/revision.h"

namespace etcdpp::mvcc {

bool RunPhysicalCompaction(backend::Backend* be, int64_t rev, const RevisionSet& keep,
                           const std::atomic<bool>* stop, const CompactionReport& report) {
  const absl::Time start = absl::Now();
  size_t deleted = 0;
  const std::string end = RevBytes(Revision{rev + 1, 0});
  std::string from = RevBytes(Revision{0, 0});
  while (!stop->load()) {
    const absl::Time chunk_start = absl::Now();
    std::vector<std::string> doomed;
    size_t visited = 0;
    Revision last;
    absl::Status st =
        be->Range(backend::Bucket::kKey, from, end, [&](std::string_view k, std::string_view) {
          last = RevFromBytes(k);
          if (!keep.contains(last)) doomed.emplace_back(k);
          return ++visited < kCompactionBatchLimit;
        });
    if (!st.ok()) return false;  // a read error: the compaction resumes at the next restart
    backend::BatchTx tx(be);
    for (const std::string& k : doomed) tx.Delete(backend::Bucket::kKey, k);
    deleted += doomed.size();
    if (visited < kCompactionBatchLimit) {
      ETCDPP_FAILPOINT(compactBeforeSetFinishedCompact);
      tx.Put(backend::Bucket::kMeta, backend::kFinishedCompactKey, RevBytes(Revision{rev, 0}));
      tx.End();
      ETCDPP_FAILPOINT(compactAfterSetFinishedCompact);
      if (report.db_done) report.db_done(absl::Now() - start, deleted);
      return true;
    }
    // A chunk that is not the last: staged for the backend's next commit (etcd forces one).
    ETCDPP_FAILPOINT(compactBeforeCommitBatch);
    tx.End();
    ETCDPP_FAILPOINT(compactAfterCommitBatch);
    if (report.db_pause) report.db_pause(absl::Now() - chunk_start);  // etcd: chunks but the last
    from = RevBytes(Revision{last.main, last.sub + 1});
  }
  return false;
}

void CompactionJob::MarkDone() {
  MutexLock l(&mu_);
  done_ = true;
  cv_.SignalAll();
}

void CompactionJob::Wait() {
  MutexLock l(&mu_);
  while (!done_) cv_.Wait(&mu_);
}

Compactor::Compactor(backend::Backend* be, std::shared_ptr<const CompactionReport> report)
    : be_(be), report_(std::move(report)) {
  loop_.Start("etcdpp-compact", [this] { Loop(); });
}

Compactor::~Compactor() {
  stop_ = true;
  loop_.Stop();
  MutexLock l(loop_.mu());
  for (auto& job : queue_) job->MarkDone();
  queue_.clear();
}

void Compactor::Schedule(std::shared_ptr<CompactionJob> job) {
  MutexLock l(loop_.mu());
  queue_.push_back(std::move(job));
  loop_.Signal();
}

void Compactor::Loop() {
  while (true) {
    std::shared_ptr<CompactionJob> job;
    {
      MutexLock l(loop_.mu());
      while (queue_.empty() && !loop_.stopping()) loop_.Wait();
      if (loop_.stopping()) return;
      job = queue_.front();
      queue_.pop_front();
    }
    RunPhysicalCompaction(be_, job->rev(), job->keep(), &stop_, *report_);
    job->MarkDone();
  }
}

}  // namespace etcdpp::mvcc
