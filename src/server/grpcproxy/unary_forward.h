#pragma once
// ForwardUnary: one unary call of a typed service the proxy serves (kv_proxy.h,
// lease_coalescer.h), forwarded to the current member with the caller's metadata and deadline;
// `done` may rewrite the member's answer before the client gets it. An UNAVAILABLE end moves
// the proxy to the next member, as the generic forwarding does (forward_call.h).

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* ForwardUnary(Upstream* up, const CallObserver* observer,
                                       grpc::CallbackServerContext* ctx, const std::string& method,
                                       Req req, Resp* out,
                                       std::function<void(Resp*)> done = nullptr) {
  struct Call {
    grpc::ClientContext cctx;
    Req req;
    Resp resp;
    std::shared_ptr<grpc::Channel> channel;  // shared: gRPC's channel type
  };
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (observer->started) observer->started(method);
  auto* call = new Call;
  call->req = std::move(req);
  CopyCallContext(*ctx, &call->cctx);
  call->channel = up->Pick();
  grpc::TemplatedGenericStub<Req, Resp> stub(call->channel);
  stub.UnaryCall(&call->cctx, method, grpc::StubOptions(), &call->req, &call->resp,
                 [up, observer, ctx, method, call, out, reactor, done](grpc::Status s) {
                   if (s.error_code() == grpc::StatusCode::UNAVAILABLE) up->Failed(call->channel);
                   if (s.ok()) {
                     if (done) done(&call->resp);
                     *out = std::move(call->resp);
                   }
                   CopyTrailers(call->cctx, ctx);
                   if (observer->handled) observer->handled(method, s.error_code());
                   delete call;
                   reactor->Finish(s);
                 });
  return reactor;
}

}  // namespace etcdpp::server::grpcproxy
