#pragma once
// Auth in the applier chain (etcd's apply_auth.go and the auth half of applierV3backend).
//
// AuthApplier, at the bottom, applies auth changes to the AuthStore in the entry's mvcc write
// txn, so they commit with its consistent index. AuthCheckApplier, a wrapper at the top, judges
// every request with the identity its proposer stamped in the entry (InternalRequest
// auth_header): writes need write permission on their keys (and read permission for prev_kv),
// txns on every compare and operation, a lease revocation on every key of the lease, auth
// changes the root role. Every member judges the same entry against the same applied auth
// state, so they all agree; a request checked against an older auth revision than the
// store's fails with "revision of auth store is old" and the client retries.

#include <cstdint>

#include "auth/store.h"
#include "lease/lessor.h"
#include "mvcc/kvstore.h"
#include "server/apply/applier_v3.h"

namespace etcdpp::server {

class AuthApplier {
 public:
  // None owned; all must outlive the applier.
  AuthApplier(mvcc::KvStore* kv, auth::AuthStore* store) : kv_(kv), store_(store) {}
  ApplyResult Apply(const internalpb::AuthRequest& r, uint64_t index);

 private:
  mvcc::KvStore* const kv_;
  auth::AuthStore* const store_;
};

class AuthCheckApplier final : public ApplierV3Wrapper {
 public:
  AuthCheckApplier(ApplierV3* next, const auth::AuthStore* store, const lease::Lessor* lessor)
      : ApplierV3Wrapper(next), store_(store), lessor_(lessor) {}

  ApplyResult Apply(const internalpb::InternalRequest& req, uint64_t index) override;
  absl::Status Put(const etcdserverpb::PutRequest& r, uint64_t index,
                   etcdserverpb::PutResponse* resp) override;
  absl::Status DeleteRange(const etcdserverpb::DeleteRangeRequest& r, uint64_t index,
                           etcdserverpb::DeleteRangeResponse* resp) override;
  absl::Status Txn(const etcdserverpb::TxnRequest& r, uint64_t index,
                   etcdserverpb::TxnResponse* resp) override;
  absl::Status LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r, uint64_t index,
                           etcdserverpb::LeaseRevokeResponse* resp) override;
  ApplyResult Auth(const internalpb::AuthRequest& r, uint64_t index) override;

 private:
  // Write permission on every key attached to `lease` (etcd's checkLeasePuts).
  [[nodiscard]] absl::Status CheckLeaseKeys(int64_t lease) const;

  const auth::AuthStore* const store_;
  const lease::Lessor* const lessor_;  // null: no lease checks
  auth::AuthInfo ai_;                  // the identity of the request being applied
};

}  // namespace etcdpp::server
