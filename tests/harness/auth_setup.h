#pragma once
// Auth data the tests write through gRPC (header-only; include it from targets that link
// etcdpp_grpc): the role "reader", allowed to read the keys [key/, key0).

#include <chrono>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/grpc_util.h"

namespace etcdpp::testing {

inline void AddReaderRole(etcdserverpb::Auth::Stub* auth, std::chrono::milliseconds timeout) {
  etcdserverpb::AuthRoleAddRequest ra;
  ra.set_name("reader");
  etcdserverpb::AuthRoleAddResponse ra_resp;
  EXPECT_TRUE(auth->RoleAdd(ContextWithDeadline(timeout).get(), ra, &ra_resp).ok());
  etcdserverpb::AuthRoleGrantPermissionRequest gp;
  gp.set_name("reader");
  gp.mutable_perm()->set_permtype(authpb::Permission::READ);
  gp.mutable_perm()->set_key("key/");
  gp.mutable_perm()->set_range_end("key0");
  etcdserverpb::AuthRoleGrantPermissionResponse gp_resp;
  EXPECT_TRUE(auth->RoleGrantPermission(ContextWithDeadline(timeout).get(), gp, &gp_resp).ok());
}

}  // namespace etcdpp::testing
