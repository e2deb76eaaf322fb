#pragma once
// ProxyServer: what `etcdpp grpc-proxy start` serves. The --listen-addr socket carries gRPC
// and HTTP/1.1 on one port (the client port's PortSharer, as etcd's proxy uses cmux): gRPC
// calls go to the ForwardingService, HTTP requests get /metrics and /health (proxy_http.h).
// The typed KV (with the read cache), Watch and Lease services (kv_proxy.h, watch_coalescer.h,
// lease_coalescer.h) are served before it, and apply --namespace; so is the Cluster service,
// which lists proxies and registers this one under --resolver-prefix (cluster_proxy.h).
// --metrics-addr adds a listener with /metrics and /health alone. With a certificate the
// listen socket is TLS only (gRPC's own TLS for gRPC clients, ours for HTTP), as etcd's proxy
// wraps its listener in TLS.
//
// Shutdown (Stop, the destructor): the accept loops stop, then the gRPC server, then HTTP.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/grpcproxy/cluster_proxy.h"
#include "server/grpcproxy/forward_call.h"
#include "server/grpcproxy/key_namespace.h"
#include "server/grpcproxy/kv_proxy.h"
#include "server/grpcproxy/lease_coalescer.h"
#include "server/grpcproxy/proxy_http.h"
#include "server/grpcproxy/proxy_metrics.h"
#include "server/grpcproxy/upstream.h"
#include "server/grpcproxy/watch_coalescer.h"
#include "server/http/http_server.h"
#include "server/http/port_sharer.h"
#include "server/tls/listener_tls.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server::grpcproxy {

class ProxyServer {
 public:
  struct Address {
    std::string host;
    int port = 0;
    bool tls = false;
  };
  struct Options {
    Address listen;
    Address metrics;  // port 0 with host "": no --metrics-addr listener
    bool metrics_listener = false;
    tls::TlsInfo tls;  // the listener's certificate (--cert-file ...), enabled or not
    uint32_t max_concurrent_streams = UINT32_MAX;
    std::string key_namespace;       // --namespace ("": none)
    ProxyCluster::Options cluster;   // --advertise-client-url, --resolver-prefix, --resolver-ttl
    RevisionOrder* order = nullptr;  // --experimental-serializable-ordering (outlives the server)
  };
  // Binds the sockets (a busy port fails here), builds and starts the gRPC server and the
  // HTTP side. `up` must outlive the server.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ProxyServer>> Start(Options opts,
                                                                          Upstream* up);
  ~ProxyServer() { Stop(); }
  void Stop();
  int port() const { return sharer_->port(0); }

 private:
  ProxyServer(Options opts, Upstream* up);
  [[nodiscard]] absl::Status Listen();
  [[nodiscard]] absl::Status StartGrpc();
  [[nodiscard]] absl::Status StartHttp();
  void RouteConnections();

  // Constant after Start.
  const Options opts_;
  Upstream* const up_;
  ProxyMetrics metrics_;
  ForwardingService forwarding_;
  ProxyHttp http_handler_;
  std::unique_ptr<KeyNamespace> ns_;  // --namespace (else null)
  RangeCache cache_;
  // Served before the generic forwarding; made in StartGrpc (after ns_).
  std::unique_ptr<ProxyKv> kv_;
  std::unique_ptr<CoalescingWatch> watch_;
  std::unique_ptr<ProxyCluster> cluster_;
  std::unique_ptr<CoalescingLease> lease_;
  std::unique_ptr<http::PortSharer> sharer_;
  std::unique_ptr<http::PortSharer> metrics_sharer_;  // null without --metrics-addr
  tls::ListenerTls tls_;                              // empty without a certificate
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<http::HttpServer> http_;
  bool stopped_ = false;
};

}  // namespace etcdpp::server::grpcproxy
