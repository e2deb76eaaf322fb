#include "server/apply/applier_v3.h"

#include "server/apply/alarm_apply.h"
#include "server/apply/auth_apply.h"
#include "server/apply/kv_apply.h"
#include "server/apply/lease_apply.h"
#include "server/apply/v2_apply.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// Runs `call` with a fresh `Resp` and packs the outcome.
template <typename Resp, typename Call>
ApplyResult With(Call call) {
  auto resp = std::make_unique<Resp>();
  ApplyResult r;
  r.status = call(resp.get());
  r.response = std::move(resp);
  return r;
}

}  // namespace

ApplyResult ApplierV3::Apply(const internalpb::InternalRequest& req, uint64_t index) {
  return DispatchRequest(this, req, index);
}

ApplyResult ApplyRequest(ApplierV3* a, const internalpb::InternalRequest& req, uint64_t index) {
  return a->Apply(req, index);
}

ApplyResult DispatchRequest(ApplierV3* a, const internalpb::InternalRequest& req, uint64_t index) {
  using R = internalpb::InternalRequest;
  switch (req.request_case()) {
    case R::kPut:
      return With<pb::PutResponse>([&](auto* resp) { return a->Put(req.put(), index, resp); });
    case R::kDeleteRange:
      return With<pb::DeleteRangeResponse>(
          [&](auto* resp) { return a->DeleteRange(req.delete_range(), index, resp); });
    case R::kTxn:
      return With<pb::TxnResponse>([&](auto* resp) { return a->Txn(req.txn(), index, resp); });
    case R::kCompaction: {
      std::function<void()> wait_physical;
      ApplyResult r = With<pb::CompactionResponse>(
          [&](auto* resp) { return a->Compaction(req.compaction(), index, resp, &wait_physical); });
      r.wait_physical = std::move(wait_physical);
      return r;
    }
    case R::kLeaseGrant:
      return With<pb::LeaseGrantResponse>(
          [&](auto* resp) { return a->LeaseGrant(req.lease_grant(), index, resp); });
    case R::kLeaseRevoke:
      return With<pb::LeaseRevokeResponse>(
          [&](auto* resp) { return a->LeaseRevoke(req.lease_revoke(), index, resp); });
    case R::kLeaseCheckpoint:
      return With<pb::LeaseCheckpointResponse>(
          [&](auto* resp) { return a->LeaseCheckpoint(req.lease_checkpoint(), index, resp); });
    case R::kMemberAttributes:
      return ApplyResult{a->MemberAttributes(req.member_attributes(), index), nullptr, nullptr};
    case R::kAuth:
      return a->Auth(req.auth(), index);
    case R::kAlarm:
      return a->Alarm(req.alarm(), index);
    case R::kV2:
      return a->V2(req.v2(), index);
    default:
      return ApplyResult{absl::UnimplementedError("unknown request"), nullptr, nullptr};
  }
}

absl::Status BackendApplier::Put(const pb::PutRequest& r, uint64_t index, pb::PutResponse* resp) {
  return kv_->Put(r, index, resp);
}

absl::Status BackendApplier::DeleteRange(const pb::DeleteRangeRequest& r, uint64_t index,
                                         pb::DeleteRangeResponse* resp) {
  return kv_->DeleteRange(r, index, resp);
}

absl::Status BackendApplier::Txn(const pb::TxnRequest& r, uint64_t index, pb::TxnResponse* resp) {
  return kv_->Txn(r, index, resp);
}

absl::Status BackendApplier::Compaction(const pb::CompactionRequest& r, uint64_t index,
                                        pb::CompactionResponse* resp,
                                        std::function<void()>* wait_physical) {
  return kv_->Compact(r, index, resp, wait_physical);
}

absl::Status BackendApplier::LeaseGrant(const pb::LeaseGrantRequest& r, uint64_t index,
                                        pb::LeaseGrantResponse* resp) {
  if (leases_ == nullptr) return absl::UnimplementedError("leases are not served");
  return leases_->Grant(r, index, resp);
}

absl::Status BackendApplier::LeaseRevoke(const pb::LeaseRevokeRequest& r, uint64_t index,
                                         pb::LeaseRevokeResponse* resp) {
  if (leases_ == nullptr) return absl::UnimplementedError("leases are not served");
  return leases_->Revoke(r, index, resp);
}

absl::Status BackendApplier::LeaseCheckpoint(const pb::LeaseCheckpointRequest& r, uint64_t index,
                                             pb::LeaseCheckpointResponse* resp) {
  if (leases_ == nullptr) return absl::UnimplementedError("leases are not served");
  return leases_->Checkpoint(r, index, resp);
}

absl::Status BackendApplier::MemberAttributes(const internalpb::MemberAttributes& a,
                                              uint64_t index) {
  if (on_member_attributes_) on_member_attributes_(a);
  if (v2_ != nullptr && v2_kv_ != nullptr) {
    v2_->MirrorAttributes(a.id(), a.name(), {a.client_urls().begin(), a.client_urls().end()},
                          v2_kv_, index);
  }
  return absl::OkStatus();
}

}  // namespace etcdpp::server

namespace etcdpp::server {

ApplyResult BackendApplier::Auth(const internalpb::AuthRequest& r, uint64_t index) {
  if (auth_ == nullptr)
    return ApplyResult{absl::UnimplementedError("auth is not served"), nullptr, nullptr};
  return auth_->Apply(r, index);
}

ApplyResult BackendApplier::Alarm(const pb::AlarmRequest& r, uint64_t index) {
  if (alarms_ == nullptr)
    return ApplyResult{absl::UnimplementedError("alarms are not served"), nullptr, nullptr};
  return alarms_->Apply(r, index);
}

}  // namespace etcdpp::server

namespace etcdpp::server {

ApplyResult BackendApplier::V2(const internalpb::V2Request& r, uint64_t index) {
  if (v2_ == nullptr || v2_kv_ == nullptr)
    return ApplyResult{absl::UnimplementedError("the v2 API is not served"), nullptr, nullptr};
  return v2_->Apply(r, v2_kv_, index);
}

}  // namespace etcdpp::server
