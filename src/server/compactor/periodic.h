#pragma once
// Periodic mode (etcd 3.4's v3compactor/periodic.go): keep `retention` of history.
//
//   interval     min(retention, 1h) / 10: the revision is sampled once per interval
//   window       retention / interval + 1 samples, oldest first; the oldest is the revision
//                of about `retention` ago
//   first        `retention` after start, compact to the oldest sample
//   then         every min(retention, 1h) after the last success, again to the oldest sample
//   failure      the next round (one interval later) tries again, with the window moved on
//
// For a 1h retention: samples every 6 min, the first compaction at 1h to the revision of start,
// then hourly. For 24h: samples every 6 min (241 kept), the first at 24h, then hourly to the
// revision of 24h ago. Samples go on while this member is not the leader, so a new leader
// compacts to the right revision at once.

#include <cstdint>
#include <deque>

#include "server/compactor/schedule.h"

namespace etcdpp::server::compactor {

class PeriodicSchedule final : public Schedule {
 public:
  // `retention` > 0; `start` is when the compactor starts (the clock's Now).
  PeriodicSchedule(absl::Duration retention, absl::Time start);

  absl::Duration interval() const override { return retry_interval_; }
  void BeforeSleep(int64_t rev) override;
  std::optional<int64_t> Due(absl::Time now, int64_t rev) override;
  void Done(absl::Time now, int64_t rev) override;
  std::string RetentionText() const override;

  size_t window_size() const { return window_size_; }

 private:
  // Constant after construction.
  const absl::Duration retention_;
  const absl::Duration compact_interval_;  // min(retention, 1h)
  const absl::Duration retry_interval_;    // compact_interval_ / 10
  const size_t window_size_;               // retention / retry interval + 1

  std::deque<int64_t> revs_;  // the samples, oldest first; at most window_size_
  absl::Time last_success_;   // start, then the last compaction that succeeded
  absl::Duration wait_;       // retention before the first compaction, compact_interval_ after
};

}  // namespace etcdpp::server::compactor
