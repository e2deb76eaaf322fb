#pragma once
// ClientPort: everything behind the --listen-client-urls sockets. Listen() binds them; the
// gRPC server is built with an external connection acceptor instead of listening ports of its
// own; Start() then routes each accepted connection (PortSharer) to gRPC or to the HTTP/1.1
// server, whose requests reach the JSON gateway over an in-process channel.
//
// Shutdown order (EtcdServer::Stop): StopAccepting() before grpc::Server::Shutdown (gRPC's
// acceptor does not close descriptors handed to it after shutdown), and the ClientPort is
// destroyed only after grpc::Server::Wait, once no gateway call can still complete.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/config.h"
#include "server/http/client_http.h"
#include "server/http/gateway.h"
#include "server/http/http_server.h"
#include "server/http/metrics_port.h"
#include "server/http/port_sharer.h"
#include "server/tls/listener_tls.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server::http {

class ClientPort {
 public:
  struct Options {
    std::vector<PortSharer::Address> addresses;
    uint32_t max_concurrent_streams = UINT32_MAX;
    size_t max_request_body = 16 << 20;
    bool serve_http = true;  // false: gRPC only on these sockets (the measurement baseline)
    std::vector<PortSharer::Address> metrics_addresses;  // --listen-metrics-urls (MetricsPort)
    // For addresses with tls set: the certificate flags.
    tls::TlsInfo tls;
  };
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ClientPort>> Listen(Options opts);
  ~ClientPort();

  // Registers the acceptor on the builder; call before BuildAndStart.
  void AddTo(grpc::ServerBuilder* builder);
  // Starts routing connections once the gRPC server runs.
  [[nodiscard]] absl::Status Start(grpc::Server* server, MemberView member);
  void StopAccepting();
  int port(size_t i) const { return sharer_->port(i); }
  int metrics_port(size_t i) const { return metrics_->port(i); }

 private:
  explicit ClientPort(Options opts) : opts_(std::move(opts)) {}

  const Options opts_;
  std::unique_ptr<PortSharer> sharer_;
  [[nodiscard]] absl::Status PrepareTls();

  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;      // plaintext
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> tls_acceptor_;  // gRPC's TLS
  tls::ListenerTls tls_;  // empty without a TLS address
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<ClientHttp> http_handler_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<MetricsPort> metrics_;  // null without --listen-metrics-urls
};

// One address per host:port of --listen-client-urls; "http://x:1,https://x:1" is one address
// taking both plaintext and TLS, as etcd serves it.
std::vector<PortSharer::Address> ClientAddresses(const std::vector<Url>& urls);

}  // namespace etcdpp::server::http
