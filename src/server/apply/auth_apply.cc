#include "server/apply/auth_apply.h"

#include "auth/errors.h"
#include "common/env.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// Ends the entry's write txn and answers with a `Resp` at the store's revision.
template <typename Resp>
ApplyResult Finish(mvcc::TxnWrite* txn, const mvcc::KvStore& kv, absl::Status st) {
  txn->End();
  auto resp = std::make_unique<Resp>();
  resp->mutable_header()->set_revision(kv.Rev());
  return ApplyResult{std::move(st), std::move(resp), nullptr};
}

}  // namespace

ApplyResult AuthApplier::Apply(const internalpb::AuthRequest& r, uint64_t index) {
  using A = internalpb::AuthRequest;
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  backend::BatchTx* tx = txn->batch();
  switch (r.op_case()) {
    case A::kEnable:
      return Finish<pb::AuthEnableResponse>(txn.get(), *kv_, store_->Enable(tx));
    case A::kDisable:
      return Finish<pb::AuthDisableResponse>(txn.get(), *kv_, store_->Disable(tx));
    case A::kAuthenticate: {
      const internalpb::AuthenticateEntry& e = r.authenticate();
      absl::Status st;
      std::string token;
      std::shared_ptr<const auth::AuthState> s = store_->state();
      if (!s->enabled) {
        st = auth::ErrAuthNotEnabled();
      } else if (s->user(e.name()) == nullptr) {
        st = auth::ErrAuthFailed();
      } else if (e.checked_revision() != s->revision) {
        st = auth::ErrAuthOldRevision();  // the proposer checks the password again
      } else if (!e.simple_token_prefix().empty()) {
        token = absl::StrCat(e.simple_token_prefix(), ".", index);
        store_->simple_tokens().Assign(token, e.name(),
                                       absl::FromUnixMicros(Env::Default()->WallMicros()));
      }
      txn->End();
      auto resp = std::make_unique<pb::AuthenticateResponse>();
      resp->mutable_header()->set_revision(kv_->Rev());
      resp->set_token(std::move(token));
      return ApplyResult{std::move(st), std::move(resp), nullptr};
    }
    case A::kUserAdd: {
      const internalpb::UserAddEntry& e = r.user_add();
      return Finish<pb::AuthUserAddResponse>(
          txn.get(), *kv_, store_->UserAdd(e.name(), e.hashed_password(), e.options(), tx));
    }
    case A::kUserDelete:
      return Finish<pb::AuthUserDeleteResponse>(txn.get(), *kv_,
                                                store_->UserDelete(r.user_delete().name(), tx));
    case A::kUserChangePassword: {
      const internalpb::UserChangePasswordEntry& e = r.user_change_password();
      return Finish<pb::AuthUserChangePasswordResponse>(
          txn.get(), *kv_, store_->UserChangePassword(e.name(), e.hashed_password(), tx));
    }
    case A::kUserGrantRole:
      return Finish<pb::AuthUserGrantRoleResponse>(
          txn.get(), *kv_,
          store_->UserGrantRole(r.user_grant_role().user(), r.user_grant_role().role(), tx));
    case A::kUserRevokeRole:
      return Finish<pb::AuthUserRevokeRoleResponse>(
          txn.get(), *kv_,
          store_->UserRevokeRole(r.user_revoke_role().name(), r.user_revoke_role().role(), tx));
    case A::kRoleAdd:
      return Finish<pb::AuthRoleAddResponse>(txn.get(), *kv_,
                                             store_->RoleAdd(r.role_add().name(), tx));
    case A::kRoleDelete:
      return Finish<pb::AuthRoleDeleteResponse>(txn.get(), *kv_,
                                                store_->RoleDelete(r.role_delete().role(), tx));
    case A::kRoleGrantPermission:
      return Finish<pb::AuthRoleGrantPermissionResponse>(
          txn.get(), *kv_,
          store_->RoleGrantPermission(r.role_grant_permission().name(),
                                      r.role_grant_permission().perm(), tx));
    case A::kRoleRevokePermission: {
      const pb::AuthRoleRevokePermissionRequest& q = r.role_revoke_permission();
      return Finish<pb::AuthRoleRevokePermissionResponse>(
          txn.get(), *kv_, store_->RoleRevokePermission(q.role(), q.key(), q.range_end(), tx));
    }
    default:
      txn->End();
      return ApplyResult{absl::UnimplementedError("unknown auth request"), nullptr, nullptr};
  }
}

ApplyResult AuthCheckApplier::Apply(const internalpb::InternalRequest& req, uint64_t index) {
  if (req.auth_header().system()) return DispatchRequest(next(), req, index);
  ai_ = auth::AuthInfo{req.auth_header().username(), req.auth_header().auth_revision()};
  ApplyResult r = ApplierV3::Apply(req, index);
  ai_ = auth::AuthInfo{};
  return r;
}

absl::Status AuthCheckApplier::CheckLeaseKeys(int64_t lease) const {
  if (lessor_ == nullptr || lease == 0 || !store_->enabled()) return absl::OkStatus();
  std::optional<lease::LeaseInfo> l = lessor_->Lookup(lease, /*with_keys=*/true);
  if (!l.has_value()) return absl::OkStatus();
  for (const std::string& k : l->keys) {
    if (absl::Status st = store_->CheckWrite(ai_, k, ""); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status AuthCheckApplier::Put(const pb::PutRequest& r, uint64_t index, pb::PutResponse* resp) {
  if (absl::Status st = store_->CheckWrite(ai_, r.key(), ""); !st.ok()) return st;
  if (absl::Status st = CheckLeaseKeys(r.lease()); !st.ok()) return st;
  if (r.prev_kv()) {
    if (absl::Status st = store_->CheckRead(ai_, r.key(), ""); !st.ok()) return st;
  }
  return ApplierV3Wrapper::Put(r, index, resp);
}

absl::Status AuthCheckApplier::DeleteRange(const pb::DeleteRangeRequest& r, uint64_t index,
                                           pb::DeleteRangeResponse* resp) {
  if (absl::Status st = store_->CheckWrite(ai_, r.key(), r.range_end()); !st.ok()) return st;
  if (r.prev_kv()) {
    if (absl::Status st = store_->CheckRead(ai_, r.key(), r.range_end()); !st.ok()) return st;
  }
  return ApplierV3Wrapper::DeleteRange(r, index, resp);
}

absl::Status AuthCheckApplier::Txn(const pb::TxnRequest& r, uint64_t index, pb::TxnResponse* resp) {
  if (absl::Status st = store_->CheckTxn(ai_, r); !st.ok()) return st;
  return ApplierV3Wrapper::Txn(r, index, resp);
}

absl::Status AuthCheckApplier::LeaseRevoke(const pb::LeaseRevokeRequest& r, uint64_t index,
                                           pb::LeaseRevokeResponse* resp) {
  if (absl::Status st = CheckLeaseKeys(r.id()); !st.ok()) return st;
  return ApplierV3Wrapper::LeaseRevoke(r, index, resp);
}

ApplyResult AuthCheckApplier::Auth(const internalpb::AuthRequest& r, uint64_t index) {
  // Every change but a login needs the root role (etcd's needAdminPermission).
  if (r.op_case() != internalpb::AuthRequest::kAuthenticate) {
    if (absl::Status st = store_->CheckAdmin(ai_); !st.ok()) {
      return ApplyResult{std::move(st), nullptr, nullptr};
    }
  }
  return ApplierV3Wrapper::Auth(r, index);
}

}  // namespace etcdpp::server
