#pragma once
// The auto-compactor's only source of time: Now, and sleeps that Cancel cuts short. The server
// gives it a RealClock over the Env's monotonic clock; the unit tests a FakeClock
// (fake_clock.h) that they advance by hand, so a test runs hours of schedule without waiting.

#include "absl/time/time.h"
#include "common/env.h"
#include "common/mutex.h"

namespace etcdpp::server::compactor {

class Clock {
 public:
  virtual ~Clock() = default;
  // A monotonic time: only differences are meaningful.
  virtual absl::Time Now() = 0;
  // Sleeps for `d` (any thread, one sleeper at a time); false, at once, after Cancel.
  virtual bool SleepFor(absl::Duration d) = 0;
  // Ends the sleep under way and every later one. Any thread.
  virtual void Cancel() = 0;
};

// Env::NowMicros for the time; a condition variable for the sleeps.
class RealClock final : public Clock {
 public:
  explicit RealClock(Env* env) : env_(env) {}  // `env` must outlive the clock
  absl::Time Now() override;
  bool SleepFor(absl::Duration d) override;
  void Cancel() override;

 private:
  Env* const env_;
  Mutex mu_;
  CondVar cv_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace etcdpp::server::compactor
