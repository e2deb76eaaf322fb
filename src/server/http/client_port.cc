#include "server/http/client_port.h"

#include <unistd.h>

#include <algorithm>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "server/http/conn_io.h"
#include "server/tls/listener_tls.h"

namespace etcdpp::server::http {

absl::StatusOr<std::unique_ptr<ClientPort>> ClientPort::Listen(Options opts) {
  for (PortSharer::Address& a : opts.addresses) a.min_tls_version = opts.tls.min_version;
  std::unique_ptr<ClientPort> p(new ClientPort(std::move(opts)));
  // gRPC clients send their preface at once and curl its request line: 3 s is generous.
  absl::StatusOr<std::unique_ptr<PortSharer>> sharer =
      PortSharer::Listen(p->opts_.addresses, absl::Seconds(3));
  if (!sharer.ok()) return sharer.status();
  p->sharer_ = std::move(*sharer);
  if (!p->opts_.metrics_addresses.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsPort>> metrics =
        MetricsPort::Listen(p->opts_.metrics_addresses);
    if (!metrics.ok()) return metrics.status();
    p->metrics_ = std::move(*metrics);
  }
  if (absl::Status st = p->PrepareTls(); !st.ok()) return st;
  return p;
}

absl::Status ClientPort::PrepareTls() {
  bool any_tls = false;
  for (const PortSharer::Address& a : opts_.addresses) any_tls |= a.tls;
  if (!any_tls) return absl::OkStatus();
  absl::StatusOr<tls::ListenerTls> t = tls::MakeListenerTls(opts_.tls);
  if (!t.ok()) return t.status();
  tls_ = std::move(*t);
  return absl::OkStatus();
}

ClientPort::~ClientPort() {
  StopAccepting();
  gateway_.reset();
}

void ClientPort::AddTo(grpc::ServerBuilder* builder) {
  acceptor_ = builder->experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
      grpc::InsecureServerCredentials());
  if (tls_.grpc) {
    tls_acceptor_ = builder->experimental().AddExternalConnectionAcceptor(
        grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, tls_.grpc);
  }
}

absl::Status ClientPort::Start(grpc::Server* server, MemberView member) {
  MemberView metrics_member = member;
  if (opts_.serve_http) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    gateway_ =
        std::make_unique<Gateway>(server->InProcessChannel(args), opts_.max_concurrent_streams);
    http_handler_ = std::make_unique<ClientHttp>(std::move(member), gateway_.get());
    HttpServer::Options ho;
    ho.limits.max_body_bytes = opts_.max_request_body;
    absl::StatusOr<std::unique_ptr<HttpServer>> hs = HttpServer::Start(
        ho, [h = http_handler_.get()](Request req, std::shared_ptr<Responder> resp) {
          h->Handle(std::move(req), std::move(resp));
        });
    if (!hs.ok()) return hs.status();
    http_ = std::move(*hs);
  }
  PortSharer::Sinks sinks;
  sinks.grpc = [this](int listen_fd, int fd, bool tls) {
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters p;
    p.listener_fd = listen_fd;
    p.fd = fd;
    (tls ? tls_acceptor_ : acceptor_)->HandleNewConnection(&p);
  };
  sinks.http = [this](int fd, bool tls) {
    if (!http_) {
      close(fd);
    } else if (tls) {
      http_->Adopt(ConnIo::Tls(fd, tls_.http->Get()));
    } else {
      http_->Adopt(fd);
    }
  };
  sharer_->Start(std::move(sinks));
  if (metrics_) return metrics_->Start(std::move(metrics_member), gateway_.get());
  return absl::OkStatus();
}

std::vector<PortSharer::Address> ClientAddresses(const std::vector<Url>& urls) {
  std::vector<PortSharer::Address> out;
  for (const Url& u : urls) {
    bool tls = u.scheme == "https";
    auto same = [&](const PortSharer::Address& a) {
      return a.host == u.host && a.port == u.port && u.port != 0;
    };
    auto it = std::find_if(out.begin(), out.end(), same);
    if (it == out.end())
      it = out.insert(out.end(), PortSharer::Address{u.host, u.port, false, false});
    (tls ? it->tls : it->plain) = true;
  }
  return out;
}

void ClientPort::StopAccepting() {
  if (sharer_) sharer_->Stop();
  if (http_) http_->Stop();
  if (metrics_) metrics_->Stop();
}

}  // namespace etcdpp::server::http
