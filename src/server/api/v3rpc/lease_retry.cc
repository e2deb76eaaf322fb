#include "server/api/v3rpc/lease_retry.h"

#include "common/error_id.h"
#include "server/errors.h"

namespace etcdpp::server {

bool IsNoLeader(const absl::Status& st) { return HasErrorId(st, kNoLeaderId); }

[[nodiscard]] absl::Status LeaseRetryTimeoutError(bool leader_known) {
  return leader_known ? ErrTimeout() : ErrNoLeader();
}

}  // namespace etcdpp::server
