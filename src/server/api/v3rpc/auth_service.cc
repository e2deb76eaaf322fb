#include "server/api/v3rpc/auth_service.h"

#include "auth/bcrypt.h"
#include "auth/errors.h"
#include "auth/simple_tokens.h"
#include "server/api/v3rpc/finish.h"
#include "server/api/v3rpc/require_leader.h"
#include "server/errors.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext* ctx, const absl::Status& st) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

}  // namespace

template <typename Resp>
grpc::ServerUnaryReactor* AuthService::ProposeChange(Ctx* ctx, internalpb::AuthRequest op,
                                                     Resp* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  internalpb::InternalRequest ir;
  if (absl::Status st = StampCaller(v_.auth, *ctx, &ir); !st.ok()) return Reject(ctx, st);
  *ir.mutable_auth() = std::move(op);
  auto* reactor = ctx->DefaultReactor();
  v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* AuthService::Read(
    Ctx* ctx, std::function<absl::Status(const auth::AuthInfo&)> serve,
    pb::ResponseHeader* header) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  absl::StatusOr<auth::AuthInfo> ai = CallerOf(v_.auth, *ctx);
  if (!ai.ok()) return Reject(ctx, ai.status());
  auto* reactor = ctx->DefaultReactor();
  v_.kv->LinearizableRead(
      [this, reactor, ai = *std::move(ai), serve = std::move(serve), header](absl::Status st) {
        if (st.ok()) st = serve(ai);
        if (st.ok()) {
          header->set_revision(v_.lease->CurrentRevision());
          v_.member->FillHeader(header);
        }
        reactor->Finish(ToGrpcStatus(st));
      });
  return reactor;
}

grpc::ServerUnaryReactor* AuthService::AuthEnable(Ctx* ctx, const pb::AuthEnableRequest* req,
                                                  pb::AuthEnableResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_enable() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::AuthDisable(Ctx* ctx, const pb::AuthDisableRequest* req,
                                                   pb::AuthDisableResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_disable() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::AuthStatus(Ctx* ctx, const pb::AuthStatusRequest*,
                                                  pb::AuthStatusResponse* resp) {
  return Read(
      ctx,
      [this, resp](const auth::AuthInfo&) {
        std::shared_ptr<const auth::AuthState> s = v_.auth->store().state();
        resp->set_enabled(s->enabled);
        resp->set_authrevision(s->revision);
        return absl::OkStatus();
      },
      resp->mutable_header());
}

grpc::ServerUnaryReactor* AuthService::UserAdd(Ctx* ctx, const pb::AuthUserAddRequest* req,
                                               pb::AuthUserAddResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  // bcrypt on the password pool, then the proposal as the caller (etcd 3.5 hashes on the member
  // that took the request, so the password never enters the log).
  absl::StatusOr<auth::AuthInfo> ai = CallerOf(v_.auth, *ctx);
  if (!ai.ok()) return Reject(ctx, ai.status());
  absl::Status queued = v_.auth->RunSlow([this, reactor, req, resp, ai = *ai] {
    internalpb::InternalRequest ir;
    StampCaller(ai, &ir);
    internalpb::UserAddEntry* e = ir.mutable_auth()->mutable_user_add();
    e->set_name(req->name());
    *e->mutable_options() = req->options();
    if (!req->options().no_password()) {
      absl::StatusOr<std::string> h = auth::BcryptHash(req->password(), v_.auth->bcrypt_cost());
      if (!h.ok()) {
        reactor->Finish(ToGrpcStatus(h.status()));
        return;
      }
      e->set_hashed_password(*std::move(h));
    }
    v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  });
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

grpc::ServerUnaryReactor* AuthService::UserChangePassword(
    Ctx* ctx, const pb::AuthUserChangePasswordRequest* req,
    pb::AuthUserChangePasswordResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  absl::StatusOr<auth::AuthInfo> ai = CallerOf(v_.auth, *ctx);
  if (!ai.ok()) return Reject(ctx, ai.status());
  auto* reactor = ctx->DefaultReactor();
  absl::Status queued = v_.auth->RunSlow([this, reactor, req, resp, ai = *ai] {
    internalpb::InternalRequest ir;
    StampCaller(ai, &ir);
    absl::StatusOr<std::string> h = auth::BcryptHash(req->password(), v_.auth->bcrypt_cost());
    if (!h.ok()) {
      reactor->Finish(ToGrpcStatus(h.status()));
      return;
    }
    internalpb::UserChangePasswordEntry* e = ir.mutable_auth()->mutable_user_change_password();
    e->set_name(req->name());
    e->set_hashed_password(*std::move(h));
    v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  });
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

grpc::ServerUnaryReactor* AuthService::Authenticate(Ctx* ctx, const pb::AuthenticateRequest* req,
                                                    pb::AuthenticateResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  v_.kv->LinearizableRead([this, reactor, req, resp](absl::Status st) {
    if (!st.ok()) {
      reactor->Finish(ToGrpcStatus(st));
      return;
    }
    Login(reactor, req, resp, 3);
  });
  return reactor;
}

void AuthService::Login(Reactor* reactor, const pb::AuthenticateRequest* req,
                        pb::AuthenticateResponse* resp, int attempts_left) {
  absl::Status queued = v_.auth->RunSlow([this, reactor, req, resp, attempts_left] {
    absl::StatusOr<uint64_t> rev = v_.auth->store().CheckPassword(req->name(), req->password());
    if (!rev.ok()) {
      if (!auth::IsAuthNotEnabled(rev.status())) {
        SPDLOG_WARN("invalid authentication was requested (user {}): {}", req->name(),
                     std::string(rev.status().message()));
      }
      reactor->Finish(ToGrpcStatus(rev.status()));
      return;
    }
    internalpb::InternalRequest ir;
    internalpb::AuthenticateEntry* e = ir.mutable_auth()->mutable_authenticate();
    e->set_name(req->name());
    e->set_checked_revision(*rev);
    if (v_.auth->uses_simple_tokens()) e->set_simple_token_prefix(auth::SimpleTokens::NewPrefix());
    const uint64_t checked = *rev;
    v_.proposals->Propose(
        std::move(ir), [this, reactor, req, resp, attempts_left, checked](ApplyResult r) {
          if (auth::IsAuthOldRevision(r.status) && attempts_left > 1) {
            SPDLOG_INFO("revision when password checked became stale; retrying");
            Login(reactor, req, resp, attempts_left - 1);
            return;
          }
          if (!r.status.ok()) {
            reactor->Finish(ToGrpcStatus(r.status));
            return;
          }
          pb::AuthenticateResponse* applied = ResponseAs<pb::AuthenticateResponse>(r);
          if (applied == nullptr) {
            reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "unexpected response type"));
            return;
          }
          resp->Swap(applied);
          if (!v_.auth->uses_simple_tokens()) {
            absl::StatusOr<std::string> token = v_.auth->SignToken(req->name(), checked);
            if (!token.ok()) {
              reactor->Finish(ToGrpcStatus(token.status()));
              return;
            }
            resp->set_token(*std::move(token));
          }
          v_.member->FillHeader(resp->mutable_header());
          reactor->Finish(grpc::Status::OK);
        });
  });
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
}

grpc::ServerUnaryReactor* AuthService::UserGet(Ctx* ctx, const pb::AuthUserGetRequest* req,
                                               pb::AuthUserGetResponse* resp) {
  return Read(
      ctx,
      [this, req, resp](const auth::AuthInfo& ai) {
        const auth::AuthStore& store = v_.auth->store();
        // Root may read every user; others only themselves (etcd's authApplierV3.UserGet).
        if (absl::Status st = store.CheckAdmin(ai); !st.ok() && req->name() != ai.username) {
          return st;
        }
        std::shared_ptr<const auth::AuthState> s = store.state();
        const authpb::User* u = s->user(req->name());
        if (u == nullptr) return auth::ErrUserNotFound();
        for (const std::string& r : u->roles()) resp->add_roles(r);
        return absl::OkStatus();
      },
      resp->mutable_header());
}

grpc::ServerUnaryReactor* AuthService::UserList(Ctx* ctx, const pb::AuthUserListRequest*,
                                                pb::AuthUserListResponse* resp) {
  return Read(
      ctx,
      [this, resp](const auth::AuthInfo& ai) {
        const auth::AuthStore& store = v_.auth->store();
        if (absl::Status st = store.CheckAdmin(ai); !st.ok()) return st;
        for (const auto& [name, u] : store.state()->users) resp->add_users(name);
        return absl::OkStatus();
      },
      resp->mutable_header());
}

grpc::ServerUnaryReactor* AuthService::RoleGet(Ctx* ctx, const pb::AuthRoleGetRequest* req,
                                               pb::AuthRoleGetResponse* resp) {
  return Read(
      ctx,
      [this, req, resp](const auth::AuthInfo& ai) {
        const auth::AuthStore& store = v_.auth->store();
        // Root may read every role; others only roles they hold (etcd's RoleGet).
        if (absl::Status st = store.CheckAdmin(ai);
            !st.ok() && !store.HasRole(ai.username, req->role())) {
          return st;
        }
        std::shared_ptr<const auth::AuthState> s = store.state();
        const authpb::Role* r = s->role(req->role());
        if (r == nullptr) return auth::ErrRoleNotFound();
        for (const authpb::Permission& p : r->keypermission()) *resp->add_perm() = p;
        return absl::OkStatus();
      },
      resp->mutable_header());
}

grpc::ServerUnaryReactor* AuthService::RoleList(Ctx* ctx, const pb::AuthRoleListRequest*,
                                                pb::AuthRoleListResponse* resp) {
  return Read(
      ctx,
      [this, resp](const auth::AuthInfo& ai) {
        const auth::AuthStore& store = v_.auth->store();
        if (absl::Status st = store.CheckAdmin(ai); !st.ok()) return st;
        for (const auto& [name, r] : store.state()->roles) resp->add_roles(name);
        return absl::OkStatus();
      },
      resp->mutable_header());
}

grpc::ServerUnaryReactor* AuthService::UserDelete(Ctx* ctx, const pb::AuthUserDeleteRequest* req,
                                                  pb::AuthUserDeleteResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_user_delete() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::UserGrantRole(Ctx* ctx,
                                                     const pb::AuthUserGrantRoleRequest* req,
                                                     pb::AuthUserGrantRoleResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_user_grant_role() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::UserRevokeRole(Ctx* ctx,
                                                      const pb::AuthUserRevokeRoleRequest* req,
                                                      pb::AuthUserRevokeRoleResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_user_revoke_role() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::RoleAdd(Ctx* ctx, const pb::AuthRoleAddRequest* req,
                                               pb::AuthRoleAddResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_role_add() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::RoleDelete(Ctx* ctx, const pb::AuthRoleDeleteRequest* req,
                                                  pb::AuthRoleDeleteResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_role_delete() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::RoleGrantPermission(
    Ctx* ctx, const pb::AuthRoleGrantPermissionRequest* req,
    pb::AuthRoleGrantPermissionResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_role_grant_permission() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

grpc::ServerUnaryReactor* AuthService::RoleRevokePermission(
    Ctx* ctx, const pb::AuthRoleRevokePermissionRequest* req,
    pb::AuthRoleRevokePermissionResponse* resp) {
  internalpb::AuthRequest op;
  *op.mutable_role_revoke_permission() = *req;
  return ProposeChange(ctx, std::move(op), resp);
}

}  // namespace etcdpp::server
