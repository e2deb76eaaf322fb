#pragma once
// etcd's expiry pacing on promotion (lessor.Promote): a new leader that finds many leases
// expiring in the same second moves some of them later, so that no more than 3/4 of the
// revocation rate (etcd's leaseRevokeRate, 1000/s) fall due in any one-second window and the
// revocations of piled-up leases do not use the whole rate. Leases only ever move later.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace etcdpp::lease {

inline constexpr int64_t kLeaseRevokeRate = 1000;  // etcd's leaseRevokeRate, per second

struct Expiry {
  int64_t id = 0;
  int64_t expiry_us = 0;
};

// `leases` sorted by expiry_us (ascending). With fewer than `revoke_rate` leases nothing moves
// (no pile-up is possible); else each lease beyond the target count of its one-second window
// is delayed as etcd delays it. Returns the indexes of the leases that moved.
std::vector<size_t> SpreadExpiries(std::vector<Expiry>& leases,
                                   int64_t revoke_rate = kLeaseRevokeRate);

}  // namespace etcdpp::lease
