#pragma once
// Answering a unary call whose request went through Raft.

#include "grpcpp/support/server_callback.h"
#include "server/api/v3rpc/views.h"
#include "server/errors.h"

namespace etcdpp::server {

// Moves the applier's response (header revision set at apply time) into the call's, completed
// with the member's header fields; an error is answered with etcd's status. A response of
// another type than the call's (never expected: ApplyRequest makes the type from the request
// kind) is answered as an internal error, not cast blindly.
template <typename Resp>
ApplyWaiter FinishApplied(MemberView* member, grpc::ServerUnaryReactor* reactor, Resp* resp) {
  return [member, reactor, resp](ApplyResult r) {
    if (!r.status.ok()) {
      reactor->Finish(ToGrpcStatus(r.status));
      return;
    }
    Resp* applied = ResponseAs<Resp>(r);
    if (applied == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "unexpected response type"));
      return;
    }
    resp->Swap(applied);
    member->FillHeader(resp->mutable_header());
    reactor->Finish(grpc::Status::OK);
  };
}

}  // namespace etcdpp::server
