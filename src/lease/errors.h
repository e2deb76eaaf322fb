#pragma once
// The lessor's errors. Messages are etcd's without the "etcdserver: " prefix, which the
// server's error table adds at the edge (server/errors.h).

#include "absl/status/status.h"

namespace etcdpp::lease {

// Ids of the errors others recognise (common/error_id.h).
inline constexpr char kNotFoundId[] = "lease:not-found";
inline constexpr char kNotPrimaryId[] = "lease:not-primary";

[[nodiscard]] absl::Status LeaseNotFoundError();     // NotFound "requested lease not found"
[[nodiscard]] absl::Status LeaseExistsError();       // FailedPrecondition "lease already exists"
[[nodiscard]] absl::Status LeaseTtlTooLargeError();  // OutOfRange "too large lease TTL"
// Renew on a member whose lessor is not the primary (not the leader, or not yet promoted).
// Internal: the server forwards or retries; clients never see this text.
[[nodiscard]] absl::Status NotPrimaryError();

bool IsLeaseNotFound(const absl::Status& s);
bool IsNotPrimary(const absl::Status& s);

}  // namespace etcdpp::lease
