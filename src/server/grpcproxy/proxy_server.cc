#include "server/grpcproxy/proxy_server.h"

#include <unistd.h>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/http/conn_io.h"
#include "server/tls/listener_tls.h"

namespace etcdpp::server::grpcproxy {

ProxyServer::ProxyServer(Options opts, Upstream* up)
    : opts_(std::move(opts)),
      up_(up),
      forwarding_(up, metrics_.observer()),
      http_handler_(up, &metrics_) {}

absl::StatusOr<std::unique_ptr<ProxyServer>> ProxyServer::Start(Options opts, Upstream* up) {
  std::unique_ptr<ProxyServer> s(new ProxyServer(std::move(opts), up));
  absl::Status st = s->Listen();
  if (st.ok()) st = s->StartGrpc();
  if (st.ok()) st = s->StartHttp();
  if (!st.ok()) return st;
  s->RouteConnections();
  return s;
}

absl::Status ProxyServer::Listen() {
  http::PortSharer::Address a{opts_.listen.host, opts_.listen.port, !opts_.listen.tls,
                              opts_.listen.tls};
  a.min_tls_version = opts_.tls.min_version;
  // gRPC clients send their preface at once and curl its request line: 3 s is generous.
  absl::StatusOr<std::unique_ptr<http::PortSharer>> sharer =
      http::PortSharer::Listen({a}, absl::Seconds(3));
  if (!sharer.ok()) return sharer.status();
  sharer_ = std::move(*sharer);
  if (opts_.metrics_listener) {
    http::PortSharer::Address m{opts_.metrics.host, opts_.metrics.port, !opts_.metrics.tls,
                                opts_.metrics.tls};
    absl::StatusOr<std::unique_ptr<http::PortSharer>> ms =
        http::PortSharer::Listen({m}, absl::Seconds(3));
    if (!ms.ok()) return ms.status();
    metrics_sharer_ = std::move(*ms);
  }
  if (!opts_.tls.Enabled()) return absl::OkStatus();
  absl::StatusOr<tls::ListenerTls> t = tls::MakeListenerTls(opts_.tls);
  if (!t.ok()) return t.status();
  tls_ = std::move(*t);
  return absl::OkStatus();
}

absl::Status ProxyServer::StartGrpc() {
  grpc::ServerBuilder builder;
  acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
      tls_.grpc ? tls_.grpc : grpc::InsecureServerCredentials());
  if (!opts_.key_namespace.empty()) ns_ = std::make_unique<KeyNamespace>(opts_.key_namespace);
  kv_ = std::make_unique<ProxyKv>(up_, metrics_.observer(), ns_.get(), &cache_, metrics_.cache(),
                                  opts_.order);
  watch_ = std::make_unique<CoalescingWatch>(up_, metrics_.observer(), metrics_.watch(), ns_.get());
  lease_ = std::make_unique<CoalescingLease>(up_, metrics_.observer(), ns_.get());
  cluster_ = std::make_unique<ProxyCluster>(up_, metrics_.observer(), opts_.cluster);
  builder.RegisterService(kv_.get());
  builder.RegisterService(cluster_.get());
  builder.RegisterService(watch_.get());
  builder.RegisterService(lease_.get());
  builder.RegisterCallbackGenericService(&forwarding_);
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONCURRENT_STREAMS,
      static_cast<int>(std::min<uint32_t>(opts_.max_concurrent_streams, INT32_MAX)));
  // The members enforce their own request limits; the proxy passes what they accept.
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  grpc_ = builder.BuildAndStart();
  if (!grpc_) return absl::InternalError("cannot start the gRPC proxy server");
  return absl::OkStatus();
}

absl::Status ProxyServer::StartHttp() {
  absl::StatusOr<std::unique_ptr<http::HttpServer>> hs = http::HttpServer::Start(
      http::HttpServer::Options(),
      [h = &http_handler_](http::Request req, std::shared_ptr<http::Responder> resp) {
        h->Handle(std::move(req), std::move(resp));
      });
  if (!hs.ok()) return hs.status();
  http_ = std::move(*hs);
  return absl::OkStatus();
}

void ProxyServer::RouteConnections() {
  http::PortSharer::Sinks sinks;
  sinks.grpc = [this](int listen_fd, int fd, bool) {
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters p;
    p.listener_fd = listen_fd;
    p.fd = fd;
    acceptor_->HandleNewConnection(&p);
  };
  sinks.http = [this](int fd, bool tls) {
    if (tls) {
      http_->Adopt(http::ConnIo::Tls(fd, tls_.http->Get()));
    } else {
      http_->Adopt(fd);
    }
  };
  sharer_->Start(sinks);
  if (metrics_sharer_) {
    sinks.grpc = [](int, int fd, bool) { close(fd); };  // /metrics and /health only
    metrics_sharer_->Start(std::move(sinks));
  }
}

void ProxyServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (sharer_) sharer_->Stop();
  if (metrics_sharer_) metrics_sharer_->Stop();
  if (grpc_) {
    grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc_->Wait();
  }
  if (http_) http_->Stop();
  if (cluster_) cluster_->Stop();  // revokes the registration
}

}  // namespace etcdpp::server::grpcproxy
