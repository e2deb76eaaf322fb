#pragma once
// ProxyHttp: the proxy's HTTP/1.1 answers. /metrics: the proxy's own exposition
// (proxy_metrics.h). /health: etcd's proxy check, a Range of "a" through the members within
// one second; healthy when it succeeds or is refused for permissions ({"health":"true"}, 200;
// else 503 with {"health":"false"}). Anything else: Go's "404 page not found".

#include <memory>

#include "server/grpcproxy/proxy_metrics.h"
#include "server/grpcproxy/upstream.h"
#include "server/http/request.h"
#include "server/http/responder.h"

namespace etcdpp::server::grpcproxy {

class ProxyHttp {
 public:
  // Both must outlive this handler.
  ProxyHttp(Upstream* up, const ProxyMetrics* metrics) : up_(up), metrics_(metrics) {}
  void Handle(http::Request req, std::shared_ptr<http::Responder> resp);

 private:
  void Health(std::shared_ptr<http::Responder> resp);

  Upstream* const up_;
  const ProxyMetrics* const metrics_;
};

}  // namespace etcdpp::server::grpcproxy
