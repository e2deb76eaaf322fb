#include "server/compactor/periodic.h"

#include <algorithm>

#include "server/go_duration.h"

namespace etcdpp::server::compactor {
namespace {

constexpr int64_t kRetryDivisor = 10;  // etcd's retryDivisor

// etcd divides by zero below 10ns of retention; we sample at least every millisecond.
absl::Duration RetryInterval(absl::Duration compact_interval) {
  return std::max(compact_interval / kRetryDivisor, absl::Milliseconds(1));
}

// etcd's getRetentions: the samples covering `retention`, both ends included.
size_t WindowSize(absl::Duration retention, absl::Duration retry_interval) {
  absl::Duration rem;
  return static_cast<size_t>(absl::IDivDuration(retention, retry_interval, &rem)) + 1;
}

}  // namespace

PeriodicSchedule::PeriodicSchedule(absl::Duration retention, absl::Time start)
    : retention_(retention),
      compact_interval_(std::min(retention, absl::Hours(1))),
      retry_interval_(RetryInterval(compact_interval_)),
      window_size_(WindowSize(retention, retry_interval_)),
      last_success_(start),
      wait_(retention) {}

void PeriodicSchedule::BeforeSleep(int64_t rev) {
  revs_.push_back(rev);
  if (revs_.size() > window_size_) revs_.pop_front();
}

std::optional<int64_t> PeriodicSchedule::Due(absl::Time now, int64_t /*rev*/) {
  if (now - last_success_ < wait_ || revs_.empty()) return std::nullopt;
  wait_ = compact_interval_;  // the first compaction waits the whole retention, later ones less
  return revs_.front();
}

void PeriodicSchedule::Done(absl::Time now, int64_t /*rev*/) { last_success_ = now; }

std::string PeriodicSchedule::RetentionText() const { return FormatGoDuration(retention_); }

}  // namespace etcdpp::server::compactor
