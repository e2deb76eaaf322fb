#pragma once
// The auto-compactor (etcd's v3compactor): a thread that, on the leader only, proposes
// Compaction requests through Raft on the schedule of its mode (periodic.h, revision.h). It
// never compacts anything itself: the proposal is applied on every member like a client's
// Compact. A compaction whose revision was already compacted ("mvcc: required revision has
// been compacted") counts as done.
//
// Leadership: etcd pauses the compactor when its member loses leadership and resumes it when
// the member wins it; the paused flag is read when a sleep ends. Ours asks is_leader() at that
// same point, so a follower keeps sampling (periodic mode) and never proposes.
//
// Time comes only from the Clock it is given (a FakeClock in tests). Design notes:
// docs/design/auto_compaction.md.
//
// Thread safety: Start and Stop from the owner's thread; the rest runs on the compactor thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "server/compactor/clock.h"
#include "server/compactor/schedule.h"
#include "server/config.h"

namespace etcdpp::server::compactor {

// The schedule the flags ask for (config.h), starting at `start`; null when auto-compaction is
// off (retention 0).
std::unique_ptr<Schedule> ScheduleFor(const Config& cfg, absl::Time start);

// The outcome of one compaction proposal. Shared by the compactor and the proposal's callback,
// which may run after the compactor stopped (a proposal still in flight at shutdown): hence a
// shared_ptr. Lock order: after the compactor's loop mutex.
class PendingCompaction {
 public:
  void Finish(absl::Status st);  // the proposal's outcome; any thread
  void Cancel();                 // the compactor stops
  // Blocks until Finish or Cancel, whichever came first; nullopt for Cancel.
  std::optional<absl::Status> Wait();

 private:
  Mutex mu_;
  CondVar cv_;
  std::optional<absl::Status> result_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

class Compactor {
 public:
  struct Deps {
    std::function<int64_t()> current_rev;  // the store's current revision
    std::function<bool()> is_leader;
    // Proposes a Compaction to `rev` (as a client's Compact, not physical); `done` gets the
    // applied outcome or the proposal's failure, on any thread.
    std::function<void(int64_t rev, std::function<void(absl::Status)> done)> compact;
  };

  Compactor(std::unique_ptr<Schedule> schedule, std::unique_ptr<Clock> clock, Deps deps);
  ~Compactor();  // Stop()

  void Start();
  // Ends the sleep or the wait for a proposal under way, and joins the thread. Idempotent.
  void Stop();

 private:
  void Loop();  // the compactor thread: sample, sleep, compact when due on the leader
  // One compaction and its log lines; false if the compactor stopped while it waited.
  bool CompactTo(int64_t rev);

  // Constant after construction.
  const std::unique_ptr<Schedule> schedule_;  // used by the compactor thread only
  const std::unique_ptr<Clock> clock_;
  const Deps deps_;

  LoopThread loop_;  // runs Loop(); mu() guards what follows
  std::shared_ptr<PendingCompaction> pending_ ABSL_GUARDED_BY(loop_.mu());
};

}  // namespace etcdpp::server::compactor
