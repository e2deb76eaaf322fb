#pragma once
// The applier chain (etcd's apply/ ApplierV3): every request of a committed entry goes through
// one ApplierV3. The backend applier at the bottom writes the stores; wrappers stacked above it
// (the auth, quota and corruption checks of later issues) refuse or adjust a request and pass
// the rest down. ApplyRequest decodes the request kind once and calls the matching method of
// the top of the chain, so a wrapper overrides only the requests it judges.
//
//     Applier (the apply loop) -> ApplyRequest -> [wrappers ...] -> BackendApplier
//                                                                   -> KvApplier, LeaseApplier

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "google/protobuf/message.h"
#include "internalpb/internal.pb.h"
#include "mvcc/kvstore.h"

namespace etcdpp::server {

class AlarmApplier;
class AuthApplier;
class KvApplier;
class LeaseApplier;
class V2Store;

// What a waiter receives when its entry was applied (or dropped).
struct ApplyResult {
  absl::Status status;
  std::unique_ptr<google::protobuf::Message> response;  // set when status is OK
  std::function<void()> wait_physical;                  // compaction: blocks until physical
};

// The response of `r` as a `Resp`, or null when it holds none or another type (the caller
// answers with an internal error then: a request and its response kind always match).
template <typename Resp>
Resp* ResponseAs(const ApplyResult& r) {
  return r.response == nullptr ? nullptr
                               : google::protobuf::DynamicCastToGenerated<Resp>(r.response.get());
}

// One request of the log, applied at raft index `index` (applier thread only). Each method
// fills `resp` (pre-allocated by ApplyRequest) and returns the request's outcome.
class ApplierV3 {
 public:
  virtual ~ApplierV3() = default;

  // The entry point for one request: calls the method of its kind (DispatchRequest). A wrapper
  // that judges the request as a whole (the auth applier reads its header) overrides it.
  virtual ApplyResult Apply(const internalpb::InternalRequest& req, uint64_t index);

  [[nodiscard]] virtual absl::Status Put(const etcdserverpb::PutRequest& r, uint64_t index,
                                         etcdserverpb::PutResponse* resp) = 0;
  [[nodiscard]] virtual absl::Status DeleteRange(const etcdserverpb::DeleteRangeRequest& r,
                                                 uint64_t index,
                                                 etcdserverpb::DeleteRangeResponse* resp) = 0;
  [[nodiscard]] virtual absl::Status Txn(const etcdserverpb::TxnRequest& r, uint64_t index,
                                         etcdserverpb::TxnResponse* resp) = 0;
  // On success *wait_physical blocks until the compacted revisions are gone from the backend.
  [[nodiscard]] virtual absl::Status Compaction(const etcdserverpb::CompactionRequest& r,
                                                uint64_t index,
                                                etcdserverpb::CompactionResponse* resp,
                                                std::function<void()>* wait_physical) = 0;
  [[nodiscard]] virtual absl::Status LeaseGrant(const etcdserverpb::LeaseGrantRequest& r,
                                                uint64_t index,
                                                etcdserverpb::LeaseGrantResponse* resp) = 0;
  [[nodiscard]] virtual absl::Status LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r,
                                                 uint64_t index,
                                                 etcdserverpb::LeaseRevokeResponse* resp) = 0;
  [[nodiscard]] virtual absl::Status LeaseCheckpoint(
      const etcdserverpb::LeaseCheckpointRequest& r, uint64_t index,
      etcdserverpb::LeaseCheckpointResponse* resp) = 0;
  // A member publishing its name and client URLs (etcd's ClusterMemberAttrSet).
  [[nodiscard]] virtual absl::Status MemberAttributes(const internalpb::MemberAttributes& a,
                                                      uint64_t index) = 0;
  // A change of the auth store; the result holds the matching Auth*Response.
  virtual ApplyResult Auth(const internalpb::AuthRequest& r, uint64_t index) = 0;
  // Raising, clearing or listing alarms; the result holds an AlarmResponse.
  virtual ApplyResult Alarm(const etcdserverpb::AlarmRequest& r, uint64_t index) = 0;
  // A request of the v2 key space; the result holds a V2Response.
  virtual ApplyResult V2(const internalpb::V2Request& r, uint64_t index) = 0;
};

// Calls the method of `a` for the kind of `req`, with a response of the matching type.
// A request of no known kind fails with UNIMPLEMENTED ("unknown request").
ApplyResult DispatchRequest(ApplierV3* a, const internalpb::InternalRequest& req, uint64_t index);

// Applies `req` through the top of the chain `a` (a->Apply).
ApplyResult ApplyRequest(ApplierV3* a, const internalpb::InternalRequest& req, uint64_t index);

// A wrapper's base: passes every request to `next` (not owned). A wrapper derives from it and
// overrides what it judges.
class ApplierV3Wrapper : public ApplierV3 {
 public:
  explicit ApplierV3Wrapper(ApplierV3* next) : next_(next) {}

  absl::Status Put(const etcdserverpb::PutRequest& r, uint64_t index,
                   etcdserverpb::PutResponse* resp) override {
    return next_->Put(r, index, resp);
  }
  absl::Status DeleteRange(const etcdserverpb::DeleteRangeRequest& r, uint64_t index,
                           etcdserverpb::DeleteRangeResponse* resp) override {
    return next_->DeleteRange(r, index, resp);
  }
  absl::Status Txn(const etcdserverpb::TxnRequest& r, uint64_t index,
                   etcdserverpb::TxnResponse* resp) override {
    return next_->Txn(r, index, resp);
  }
  absl::Status Compaction(const etcdserverpb::CompactionRequest& r, uint64_t index,
                          etcdserverpb::CompactionResponse* resp,
                          std::function<void()>* wait_physical) override {
    return next_->Compaction(r, index, resp, wait_physical);
  }
  absl::Status LeaseGrant(const etcdserverpb::LeaseGrantRequest& r, uint64_t index,
                          etcdserverpb::LeaseGrantResponse* resp) override {
    return next_->LeaseGrant(r, index, resp);
  }
  absl::Status LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r, uint64_t index,
                           etcdserverpb::LeaseRevokeResponse* resp) override {
    return next_->LeaseRevoke(r, index, resp);
  }
  absl::Status LeaseCheckpoint(const etcdserverpb::LeaseCheckpointRequest& r, uint64_t index,
                               etcdserverpb::LeaseCheckpointResponse* resp) override {
    return next_->LeaseCheckpoint(r, index, resp);
  }
  absl::Status MemberAttributes(const internalpb::MemberAttributes& a, uint64_t index) override {
    return next_->MemberAttributes(a, index);
  }
  ApplyResult Auth(const internalpb::AuthRequest& r, uint64_t index) override {
    return next_->Auth(r, index);
  }
  ApplyResult Alarm(const etcdserverpb::AlarmRequest& r, uint64_t index) override {
    return next_->Alarm(r, index);
  }
  ApplyResult V2(const internalpb::V2Request& r, uint64_t index) override {
    return next_->V2(r, index);
  }

 protected:
  ApplierV3* next() const { return next_; }

 private:
  ApplierV3* const next_;
};

// The bottom of the chain: KV requests to the KvApplier, lease requests to the LeaseApplier,
// auth changes to the AuthApplier, alarms to the AlarmApplier (any null: those fail as
// UNIMPLEMENTED), member attributes to a hook (the cluster store), v2 requests to the v2 store
// (none: they fail as UNIMPLEMENTED).
class BackendApplier final : public ApplierV3 {
 public:
  using MemberAttributesHook = std::function<void(const internalpb::MemberAttributes&)>;
  // Not owned; must outlive the applier.
  BackendApplier(KvApplier* kv, LeaseApplier* leases, AuthApplier* auth, AlarmApplier* alarms,
                 MemberAttributesHook on_member_attributes, mvcc::KvStore* v2_kv = nullptr,
                 V2Store* v2 = nullptr)
      : kv_(kv),
        leases_(leases),
        auth_(auth),
        alarms_(alarms),
        on_member_attributes_(std::move(on_member_attributes)),
        v2_kv_(v2_kv),
        v2_(v2) {}

  absl::Status Put(const etcdserverpb::PutRequest& r, uint64_t index,
                   etcdserverpb::PutResponse* resp) override;
  absl::Status DeleteRange(const etcdserverpb::DeleteRangeRequest& r, uint64_t index,
                           etcdserverpb::DeleteRangeResponse* resp) override;
  absl::Status Txn(const etcdserverpb::TxnRequest& r, uint64_t index,
                   etcdserverpb::TxnResponse* resp) override;
  absl::Status Compaction(const etcdserverpb::CompactionRequest& r, uint64_t index,
                          etcdserverpb::CompactionResponse* resp,
                          std::function<void()>* wait_physical) override;
  absl::Status LeaseGrant(const etcdserverpb::LeaseGrantRequest& r, uint64_t index,
                          etcdserverpb::LeaseGrantResponse* resp) override;
  absl::Status LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r, uint64_t index,
                           etcdserverpb::LeaseRevokeResponse* resp) override;
  absl::Status LeaseCheckpoint(const etcdserverpb::LeaseCheckpointRequest& r, uint64_t index,
                               etcdserverpb::LeaseCheckpointResponse* resp) override;
  absl::Status MemberAttributes(const internalpb::MemberAttributes& a, uint64_t index) override;
  ApplyResult Auth(const internalpb::AuthRequest& r, uint64_t index) override;
  ApplyResult Alarm(const etcdserverpb::AlarmRequest& r, uint64_t index) override;
  ApplyResult V2(const internalpb::V2Request& r, uint64_t index) override;

 private:
  KvApplier* const kv_;
  LeaseApplier* const leases_;
  AuthApplier* const auth_;
  AlarmApplier* const alarms_;
  const MemberAttributesHook on_member_attributes_;
  mvcc::KvStore* const v2_kv_;  // where the v2 store's state is staged
  V2Store* const v2_;
};

}  // namespace etcdpp::server
