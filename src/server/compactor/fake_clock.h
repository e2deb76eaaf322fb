#pragma once
// A Clock for tests (test-only): time stands still until the test moves it, and it moves only
// to the end of the sleep under way, so a test steps the compactor one round of its loop at a
// time and never waits on real time.

#include <cstdint>
#include <optional>

#include "server/compactor/clock.h"

namespace etcdpp::server::compactor {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}

  absl::Time Now() override {
    MutexLock l(&mu_);
    return now_;
  }
  bool SleepFor(absl::Duration d) override {
    MutexLock l(&mu_);
    if (cancelled_) return false;
    ++sleeps_;
    wake_at_ = now_ + d;
    cv_.SignalAll();
    while (!cancelled_ && now_ < *wake_at_) cv_.Wait(&mu_);
    wake_at_.reset();
    cv_.SignalAll();
    return !cancelled_;
  }
  void Cancel() override {
    MutexLock l(&mu_);
    cancelled_ = true;
    cv_.SignalAll();
  }

  // Waits until a sleep is under way (the sleeper's loop reached it).
  void WaitSleeping() {
    MutexLock l(&mu_);
    while (!cancelled_ && !wake_at_.has_value()) cv_.Wait(&mu_);
  }
  // Waits until a sleep is under way and moves time to its end (waking the sleeper).
  void WakeSleeper() {
    MutexLock l(&mu_);
    WakeSleeperLocked();
  }
  // One round of the sleeper's loop: WakeSleeper, then wait until its next sleep started (or
  // the clock was cancelled).
  void RunRound() {
    MutexLock l(&mu_);
    const uint64_t before = WakeSleeperLocked();
    while (!cancelled_ && sleeps_ == before) cv_.Wait(&mu_);
  }

 private:
  uint64_t WakeSleeperLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!cancelled_ && !wake_at_.has_value()) cv_.Wait(&mu_);
    if (wake_at_.has_value()) now_ = *wake_at_;
    cv_.SignalAll();
    return sleeps_;
  }

  Mutex mu_;
  CondVar cv_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> wake_at_ ABSL_GUARDED_BY(mu_);  // while a sleep is under way
  uint64_t sleeps_ ABSL_GUARDED_BY(mu_) = 0;                // sleeps started
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace etcdpp::server::compactor
