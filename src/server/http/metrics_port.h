#pragma once
// MetricsPort: the --listen-metrics-urls sockets. Plain HTTP/1.1 serving what etcd 3.4's
// metrics mux serves there (etcdhttp.HandleMetricsHealth): /metrics and /health, the same
// handlers as on the client port; every other path is "404 page not found". A connection that
// opens with the HTTP/2 preface (a gRPC client on the wrong port) is closed.
//
// Owned by the ClientPort: bound in Listen (a busy port fails before anything starts), started
// with the client port's gateway (for /health's linearizable read), stopped with it.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "server/http/client_http.h"
#include "server/http/gateway.h"
#include "server/http/http_server.h"
#include "server/http/port_sharer.h"

namespace etcdpp::server::http {

class MetricsPort {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MetricsPort>> Listen(
      const std::vector<PortSharer::Address>& addrs);
  ~MetricsPort() { Stop(); }

  // gateway may be null (the client port serves gRPC only): /health then skips its read.
  [[nodiscard]] absl::Status Start(MemberView member, Gateway* gateway);
  // Closes the listeners and every connection; idempotent.
  void Stop();
  int port(size_t i) const { return sharer_->port(i); }

 private:
  MetricsPort() = default;

  std::unique_ptr<PortSharer> sharer_;
  std::unique_ptr<ClientHttp> handler_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace etcdpp::server::http
