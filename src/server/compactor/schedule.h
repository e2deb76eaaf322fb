#pragma once
// When the auto-compactor compacts and to which revision: the policy of one mode, without
// threads or clocks (the Compactor drives it; compactor.h). Its loop, each round:
//
//   BeforeSleep(current revision)      even when this member is not the leader
//   sleep interval()
//   on the leader only: Due(now, current revision) -> the revision to compact, if any
//   after a compaction that succeeded (or found the revision already compacted): Done(now, rev)
//
// A compaction that failed calls nothing: the next round asks Due again, which is the retry.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace etcdpp::server::compactor {

class Schedule {
 public:
  virtual ~Schedule() = default;
  // The sleep between two rounds (also the retry delay after a failure).
  virtual absl::Duration interval() const = 0;
  virtual void BeforeSleep(int64_t rev) = 0;
  virtual std::optional<int64_t> Due(absl::Time now, int64_t rev) = 0;
  virtual void Done(absl::Time now, int64_t rev) = 0;
  // How the retention reads in etcd's log line: "1h0m0s", "10 revisions".
  virtual std::string RetentionText() const = 0;
};

}  // namespace etcdpp::server::compactor
