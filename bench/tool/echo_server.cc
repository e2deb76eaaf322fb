#include "bench/tool/echo_server.h"

#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace etcdpp::bench {
namespace {

class EchoKv : public etcdserverpb::KV::CallbackService {
  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::RangeRequest*,
                                  etcdserverpb::RangeResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start() {
  std::unique_ptr<EchoServer> s(new EchoServer);
  s->service_ = std::make_unique<EchoKv>();
  int port = 0;
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(s->service_.get());
  s->server_ = b.BuildAndStart();
  if (!s->server_ || port == 0) return absl::UnavailableError("echo server did not start");
  s->address_ = "127.0.0.1:" + std::to_string(port);
  return s;
}

EchoServer::~EchoServer() {
  if (server_) server_->Shutdown();
}

}  // namespace etcdpp::bench
