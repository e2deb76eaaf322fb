#pragma once
// The client port's gRPC server (the services on the member's views, etcd's interceptors as
// metrics, etcd's message and stream limits) behind every --listen-client-urls socket, which
// also serves HTTP/1.1 (the JSON gateway, /health, /version, /metrics): see http/client_port.h.

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server.h"
#include "server/api/v3rpc/views.h"
#include "server/config.h"
#include "server/http/client_port.h"

namespace etcdpp::server {

struct ClientServer {
  std::unique_ptr<http::ClientPort> port;  // the listeners; outlives server's calls
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<grpc::Server> grpc;

  void StopAccepting();
  // Shuts gRPC down (calls get a second to finish) and waits for it.
  void Shutdown();
  void Wait();
};

// Listens on the client URLs and starts serving `views` and `http_view`.
[[nodiscard]] absl::Status StartClientServer(const Config& cfg, Views views,
                                             http::MemberView http_view, ClientServer* out);

}  // namespace etcdpp::server
