#include "server/lease_retry.h"

#include "server/errors.h"

namespace etcdpp::server {

std::chrono::milliseconds LeaseRequestTimeout(uint64_t election_timeout_ms) {
  return std::chrono::milliseconds(5000 + 2 * static_cast<int64_t>(election_timeout_ms));
}

bool IsNoLeader(const absl::Status& st) { return st == ErrNoLeader(); }

absl::Status LeaseRetryTimeoutError(bool leader_known) {
  return leader_known ? ErrTimeout() : ErrNoLeader();
}

}  // namespace etcdpp::server
