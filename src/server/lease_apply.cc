#include "server/lease_apply.h"

#include <string>

#include "common/status.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

absl::Status LeaseApplier::Grant(const pb::LeaseGrantRequest& r, uint64_t index,
                                 pb::LeaseGrantResponse* resp) {
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  absl::StatusOr<lease::LeaseInfo> l = lessor_->Grant(r.id(), r.ttl(), txn->batch());
  txn->End();
  if (!l.ok()) return l.status();
  resp->set_id(l->id);
  resp->set_ttl(l->ttl);
  resp->mutable_header()->set_revision(kv_->Rev());
  return absl::OkStatus();
}

absl::Status LeaseApplier::Revoke(const pb::LeaseRevokeRequest& r, uint64_t index,
                                  pb::LeaseRevokeResponse* resp) {
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  absl::Status st = lessor_->Revoke(r.id(), txn->batch(), [&](const std::vector<std::string>& keys) {
    for (const std::string& k : keys) txn->DeleteRange(k, "");
  });
  txn->End();
  resp->mutable_header()->set_revision(kv_->Rev());
  return st;
}

absl::Status LeaseApplier::Checkpoint(const pb::LeaseCheckpointRequest& r, uint64_t index,
                                      pb::LeaseCheckpointResponse* resp) {
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  for (const pb::LeaseCheckpoint& c : r.checkpoints()) {
    lessor_->Checkpoint(c.id(), c.remaining_ttl(), txn->batch());
  }
  txn->End();
  resp->mutable_header()->set_revision(kv_->Rev());
  return absl::OkStatus();
}

absl::Status LeaseApplier::RestoreAttachments() {
  constexpr int64_t kPage = 10000;
  std::string from(1, '\0');
  const int64_t rev = kv_->Rev();
  for (;;) {
    mvcc::RangeOptions o{.limit = kPage, .rev = rev};
    ASSIGN_OR_RETURN(mvcc::RangeResult rr, kv_->Range(from, std::string(1, '\0'), o));
    for (const mvccpb::KeyValue& kv : rr.kvs) {
      if (kv.lease() != lease::kNoLease) lessor_->Attach(kv.lease(), kv.key());
    }
    if (static_cast<int64_t>(rr.kvs.size()) < kPage) return absl::OkStatus();
    from = rr.kvs.back().key() + std::string(1, '\0');  // the next key after the last one
  }
}

void SyncLeaseAttachments(lease::Lessor* lessor, const std::vector<mvccpb::KeyValue>& changes) {
  for (const mvccpb::KeyValue& kv : changes) {
    // Deletions carry create_revision 0 (mvcc's Changes()); puts carry their lease (0: none).
    lessor->Attach(kv.create_revision() == 0 ? lease::kNoLease : kv.lease(), kv.key());
  }
}

}  // namespace etcdpp::server
