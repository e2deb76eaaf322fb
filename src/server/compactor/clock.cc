#include "server/compactor/clock.h"

#include <chrono>

namespace etcdpp::server::compactor {

absl::Time RealClock::Now() {
  return absl::UnixEpoch() + absl::Microseconds(static_cast<int64_t>(env_->NowMicros()));
}

bool RealClock::SleepFor(absl::Duration d) {
  const absl::Time deadline = Now() + d;
  MutexLock l(&mu_);
  for (absl::Duration left = d; !cancelled_ && left > absl::ZeroDuration();
       left = deadline - Now()) {
    cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(left));
  }
  return !cancelled_;
}

void RealClock::Cancel() {
  MutexLock l(&mu_);
  cancelled_ = true;
  cv_.SignalAll();
}

}  // namespace etcdpp::server::compactor
