#pragma once
// The Auth service (etcd's v3rpc/auth.go and the Auth half of v3_server.go).

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/views.h"

namespace etcdpp::server {

class AuthService final : public etcdserverpb::Auth::CallbackService {
 public:
  explicit AuthService(Views v) : v_(v) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* AuthEnable(Ctx* ctx, const etcdserverpb::AuthEnableRequest* req,
                      etcdserverpb::AuthEnableResponse* resp) override;
  Reactor* AuthDisable(Ctx* ctx, const etcdserverpb::AuthDisableRequest* req,
                       etcdserverpb::AuthDisableResponse* resp) override;
  Reactor* AuthStatus(Ctx* ctx, const etcdserverpb::AuthStatusRequest* req,
                      etcdserverpb::AuthStatusResponse* resp) override;
  Reactor* Authenticate(Ctx* ctx, const etcdserverpb::AuthenticateRequest* req,
                        etcdserverpb::AuthenticateResponse* resp) override;
  Reactor* UserAdd(Ctx* ctx, const etcdserverpb::AuthUserAddRequest* req,
                   etcdserverpb::AuthUserAddResponse* resp) override;
  Reactor* UserGet(Ctx* ctx, const etcdserverpb::AuthUserGetRequest* req,
                   etcdserverpb::AuthUserGetResponse* resp) override;
  Reactor* UserList(Ctx* ctx, const etcdserverpb::AuthUserListRequest* req,
                    etcdserverpb::AuthUserListResponse* resp) override;
  Reactor* UserDelete(Ctx* ctx, const etcdserverpb::AuthUserDeleteRequest* req,
                      etcdserverpb::AuthUserDeleteResponse* resp) override;
  Reactor* UserChangePassword(Ctx* ctx, const etcdserverpb::AuthUserChangePasswordRequest* req,
                              etcdserverpb::AuthUserChangePasswordResponse* resp) override;
  Reactor* UserGrantRole(Ctx* ctx, const etcdserverpb::AuthUserGrantRoleRequest* req,
                         etcdserverpb::AuthUserGrantRoleResponse* resp) override;
  Reactor* UserRevokeRole(Ctx* ctx, const etcdserverpb::AuthUserRevokeRoleRequest* req,
                          etcdserverpb::AuthUserRevokeRoleResponse* resp) override;
  Reactor* RoleAdd(Ctx* ctx, const etcdserverpb::AuthRoleAddRequest* req,
                   etcdserverpb::AuthRoleAddResponse* resp) override;
  Reactor* RoleGet(Ctx* ctx, const etcdserverpb::AuthRoleGetRequest* req,
                   etcdserverpb::AuthRoleGetResponse* resp) override;
  Reactor* RoleList(Ctx* ctx, const etcdserverpb::AuthRoleListRequest* req,
                    etcdserverpb::AuthRoleListResponse* resp) override;
  Reactor* RoleDelete(Ctx* ctx, const etcdserverpb::AuthRoleDeleteRequest* req,
                      etcdserverpb::AuthRoleDeleteResponse* resp) override;
  Reactor* RoleGrantPermission(Ctx* ctx, const etcdserverpb::AuthRoleGrantPermissionRequest* req,
                               etcdserverpb::AuthRoleGrantPermissionResponse* resp) override;
  Reactor* RoleRevokePermission(Ctx* ctx, const etcdserverpb::AuthRoleRevokePermissionRequest* req,
                                etcdserverpb::AuthRoleRevokePermissionResponse* resp) override;

 private:
  // Proposes `op` as the caller; `resp` gets the applied answer.
  template <typename Resp>
  Reactor* ProposeChange(Ctx* ctx, internalpb::AuthRequest op, Resp* resp);
  // Serves a read of the auth store after a linearizable read; `serve` fills the response or
  // returns the error.
  Reactor* Read(Ctx* ctx, std::function<absl::Status(const auth::AuthInfo&)> serve,
                etcdserverpb::ResponseHeader* header);
  // One password check and Authenticate proposal; retried when the auth store changed between
  // the check and the apply (etcd's loop in EtcdServer.Authenticate).
  void Login(Reactor* reactor, const etcdserverpb::AuthenticateRequest* req,
             etcdserverpb::AuthenticateResponse* resp, int attempts_left);

  const Views v_;
};

}  // namespace etcdpp::server
