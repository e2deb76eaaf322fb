#include "server/http/metrics_port.h"

#include <unistd.h>

namespace etcdpp::server::http {

absl::StatusOr<std::unique_ptr<MetricsPort>> MetricsPort::Listen(
    const std::vector<PortSharer::Address>& addrs) {
  std::unique_ptr<MetricsPort> p(new MetricsPort());
  absl::StatusOr<std::unique_ptr<PortSharer>> sharer = PortSharer::Listen(addrs, absl::Seconds(3));
  if (!sharer.ok()) return sharer.status();
  p->sharer_ = std::move(*sharer);
  return p;
}

absl::Status MetricsPort::Start(MemberView member, Gateway* gateway) {
  handler_ = std::make_unique<ClientHttp>(std::move(member), gateway,
                                          ClientHttp::Paths::kMetricsAndHealth);
  HttpServer::Options ho;
  ho.limits.max_body_bytes = 1 << 20;  // its paths take no body
  absl::StatusOr<std::unique_ptr<HttpServer>> hs =
      HttpServer::Start(ho, [h = handler_.get()](Request req, std::shared_ptr<Responder> resp) {
        h->Handle(std::move(req), std::move(resp));
      });
  if (!hs.ok()) return hs.status();
  http_ = std::move(*hs);
  PortSharer::Sinks sinks;
  sinks.grpc = [](int /*listen_fd*/, int fd, bool /*tls*/) { close(fd); };
  sinks.http = [this](int fd, bool /*tls*/) { http_->Adopt(fd); };
  sharer_->Start(std::move(sinks));
  return absl::OkStatus();
}

void MetricsPort::Stop() {
  if (sharer_) sharer_->Stop();
  if (http_) http_->Stop();
}

}  // namespace etcdpp::server::http
