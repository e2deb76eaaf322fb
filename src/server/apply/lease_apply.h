#pragma once
// Applies the lease entries of the Raft log (etcd's applierV3backend LeaseGrant / LeaseRevoke /
// LeaseCheckpoint) and keeps the lessor's key attachments in step with mvcc writes. Every entry
// runs in one mvcc write txn, so lease records commit with the entry's consistent index, and a
// revocation deletes all of the lease's keys in one revision. Applier thread only.

#include <vector>

#include "absl/status/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "lease/lessor.h"
#include "mvcc/kvstore.h"

namespace etcdpp::server {

class LeaseApplier {
 public:
  // Neither pointer is owned; both must outlive the applier.
  LeaseApplier(mvcc::KvStore* kv, lease::Lessor* lessor) : kv_(kv), lessor_(lessor) {}

  [[nodiscard]] absl::Status Grant(const etcdserverpb::LeaseGrantRequest& r, uint64_t index,
                                   etcdserverpb::LeaseGrantResponse* resp);
  [[nodiscard]] absl::Status Revoke(const etcdserverpb::LeaseRevokeRequest& r, uint64_t index,
                                    etcdserverpb::LeaseRevokeResponse* resp);
  [[nodiscard]] absl::Status Checkpoint(const etcdserverpb::LeaseCheckpointRequest& r,
                                        uint64_t index,
                                        etcdserverpb::LeaseCheckpointResponse* resp);

  // Re-attaches every live key that carries a lease ID (after Open; etcd's mvcc restore does
  // the same). Keys naming a lease that no longer exists stay unattached.
  [[nodiscard]] absl::Status RestoreAttachments();

 private:
  mvcc::KvStore* const kv_;
  lease::Lessor* const lessor_;
};

// Mirrors a write txn's changes into the lessor: a put attaches its key to its lease (moving
// it from a previous one), a deletion detaches it.
void SyncLeaseAttachments(lease::Lessor* lessor, const std::vector<mvccpb::KeyValue>& changes);

}  // namespace etcdpp::server
