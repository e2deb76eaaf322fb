#pragma once
// ForwardingService: every RPC the proxy does not serve with a typed service of its own goes,
// as bytes, to the current member (Upstream::Pick), and the member's answers come back as
// bytes (stream_forward.h): unary calls, the server streams (Snapshot, Observe) and the bidi
// streams (Watch, LeaseKeepAlive) alike. etcd's own errors reach the client unchanged. A call
// that ends UNAVAILABLE moves the proxy to the next member (Upstream::Failed); the client
// retries as it would against a member that went away.

#include "grpcpp/generic/async_generic_service.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

class ForwardingService : public grpc::CallbackGenericService {
 public:
  // up and observer must outlive the service (and the server it is registered on).
  ForwardingService(Upstream* up, const CallObserver* observer) : up_(up), observer_(observer) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new StreamForward<grpc::ByteBuffer, grpc::ByteBuffer>(ctx, ctx->method(), up_,
                                                                 observer_);
  }

 private:
  Upstream* const up_;
  const CallObserver* const observer_;
};

}  // namespace etcdpp::server::grpcproxy
