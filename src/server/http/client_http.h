#pragma once
// ClientHttp: what the client port answers over HTTP/1.1. /v3/ (and /v3beta/, rewritten as
// etcd does) goes to the JSON gateway; /health, /livez, /readyz and /version answer as etcd's
// etcdhttp handlers; /metrics serves the Prometheus text exposition; /v2/ goes to the v2 API when
// it is on (--enable-v2); /debug/pprof/ with --enable-pprof (pprof.h). Anything else is Go's
// "404 page not found".

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/http/gateway.h"
#include "server/http/pprof.h"
#include "server/http/request.h"
#include "server/http/responder.h"

namespace etcdpp::server::http {

// What the health and version endpoints read from the member.
struct MemberView {
  std::function<uint64_t()> leader;                  // 0: no leader
  std::function<std::vector<std::string>()> alarms;  // active alarm names, e.g. "NOSPACE"
  std::function<std::string()> metrics;              // Prometheus text exposition
  std::function<void(bool healthy)> on_health;       // counts health checks
  // /v2 and /v2/... (--enable-v2, the v2 API); null: those paths are "404 page not found".
  std::function<void(Request, std::shared_ptr<Responder>)> v2;
  std::string server_version;
  std::string cluster_version;
  bool pprof = false;  // --enable-pprof (or --debug): serve /debug/pprof/ (pprof.h)
};

class ClientHttp {
 public:
  // Which paths are served: everything (the client port), or /metrics and /health alone (a
  // --listen-metrics-urls listener, as etcd 3.4's metrics mux).
  enum class Paths { kAll, kMetricsAndHealth };
  // gateway may be null (gRPC-only client port): no /v3/ nor /version, and /health skips its read.
  ClientHttp(MemberView member, Gateway* gateway, Paths paths = Paths::kAll)
      : member_(std::move(member)),
        gateway_(gateway),
        paths_(paths),
        pprof_(member_.pprof && paths == Paths::kAll ? std::make_unique<Pprof>() : nullptr) {}
  void Handle(Request req, std::shared_ptr<Responder> resp);

 private:
  void Health(const Request& req, std::shared_ptr<Responder> resp);
  void Version(const Request& req, Responder* resp);
  void Probe(const Request& req, bool ready, Responder* resp);
  void FinishHealth(bool healthy, Responder* resp);

  const MemberView member_;
  Gateway* const gateway_;
  const Paths paths_;
  const std::unique_ptr<Pprof> pprof_;  // null unless member.pprof
};

}  // namespace etcdpp::server::http
