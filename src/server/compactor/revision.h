#pragma once
// Revision mode (etcd 3.4's v3compactor/revision.go): keep the last `retention` revisions.
// Every 5 minutes (etcd's revInterval) the leader compacts to current revision - retention,
// unless that is not positive or is the revision it compacted to last. A failure is retried
// 5 minutes later (the previous revision is only recorded on success).

#include <cstdint>

#include "server/compactor/schedule.h"

namespace etcdpp::server::compactor {

inline constexpr absl::Duration kRevisionInterval = absl::Minutes(5);  // etcd's revInterval

class RevisionSchedule final : public Schedule {
 public:
  explicit RevisionSchedule(int64_t retention) : retention_(retention) {}  // retention > 0

  absl::Duration interval() const override { return kRevisionInterval; }
  void BeforeSleep(int64_t /*rev*/) override {}
  std::optional<int64_t> Due(absl::Time /*now*/, int64_t rev) override;
  void Done(absl::Time /*now*/, int64_t rev) override { prev_ = rev; }
  std::string RetentionText() const override;

 private:
  const int64_t retention_;  // constant after construction
  int64_t prev_ = 0;         // the revision of the last compaction that succeeded
};

}  // namespace etcdpp::server::compactor
