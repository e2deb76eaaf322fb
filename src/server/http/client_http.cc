#include "server/http/client_http.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/http/json_codec.h"

namespace etcdpp::server::http {

void ClientHttp::Handle(Request req, std::shared_ptr<Responder> resp) {
  if (paths_ == Paths::kMetricsAndHealth && req.path != "/metrics" && req.path != "/health") {
    PlainError(resp.get(), 404, "404 page not found");
    return;
  }
  if (absl::StartsWith(req.path, "/v3beta/")) req.path = "/v3/" + req.path.substr(8);
  if (gateway_ != nullptr && absl::StartsWith(req.path, "/v3/")) {
    gateway_->Serve(std::move(req), std::move(resp));
  } else if (member_.v2 && (req.path == "/v2" || absl::StartsWith(req.path, "/v2/"))) {
    member_.v2(std::move(req), std::move(resp));
  } else if (req.path == "/health") {
    Health(req, std::move(resp));
  } else if (req.path == "/metrics" && member_.metrics) {
    resp->Reply(200, "text/plain; version=0.0.4; charset=utf-8", member_.metrics());
  } else if (gateway_ != nullptr && req.path == "/version") {
    Version(req, resp.get());
  } else if (pprof_ != nullptr && absl::StartsWith(req.path, "/debug/pprof/")) {
    pprof_->Serve(req, std::move(resp));
  } else if (req.path == "/livez" || req.path == "/readyz") {
    Probe(req, req.path == "/readyz", resp.get());
  } else {
    PlainError(resp.get(), 404, "404 page not found");
  }
}

// etcd's checkHealth: an alarm not excluded, or no leader, is unhealthy; unless
// ?serializable=true, a linearizable read must also succeed within a second.
void ClientHttp::Health(const Request& req, std::shared_ptr<Responder> resp) {
  if (req.method != "GET") {
    resp->Reply(405, "text/plain; charset=utf-8", "Method Not Allowed\n",
                {{"Allow", "GET"}, {"X-Content-Type-Options", "nosniff"}});
    return;
  }
  std::vector<std::string> excluded = req.QueryValues("exclude");
  for (const std::string& alarm : member_.alarms ? member_.alarms() : std::vector<std::string>{}) {
    if (std::find(excluded.begin(), excluded.end(), alarm) == excluded.end()) {
      FinishHealth(false, resp.get());
      return;
    }
  }
  if (member_.leader() == 0) {
    FinishHealth(false, resp.get());
    return;
  }
  std::vector<std::string> ser = req.QueryValues("serializable");
  if ((!ser.empty() && ser[0] == "true") || gateway_ == nullptr) {
    FinishHealth(true, resp.get());
    return;
  }
  auto range = std::make_unique<etcdserverpb::RangeRequest>();
  range->set_key("health");
  gateway_->Call("/etcdserverpb.KV/Range", std::move(range),
                 std::make_unique<etcdserverpb::RangeResponse>(), absl::Seconds(1),
                 [this, resp](const grpc::Status& st, const google::protobuf::Message&) {
                   FinishHealth(st.ok(), resp.get());
                 });
}

void ClientHttp::FinishHealth(bool healthy, Responder* resp) {
  if (member_.on_health) member_.on_health(healthy);
  if (healthy) {
    resp->Reply(200, "text/plain; charset=utf-8", "{\"health\":\"true\"}");
  } else {
    // Go's http.Error: text/plain with a newline.
    PlainError(resp, 503, "{\"health\":\"false\"}");
  }
}

void ClientHttp::Version(const Request& req, Responder* resp) {
  if (req.method != "GET" && req.method != "HEAD") {
    resp->Reply(405, "text/plain; charset=utf-8", "Method Not Allowed\n",
                {{"Allow", "GET, HEAD"}, {"X-Content-Type-Options", "nosniff"}});
    return;
  }
  resp->Reply(200, "application/json",
              absl::StrCat("{\"etcdserver\":\"", member_.server_version, "\",\"etcdcluster\":\"",
                           member_.cluster_version, "\"}"));
}

// etcd 3.6's /livez and /readyz: "ok", or the failed check and 503.
void ClientHttp::Probe(const Request& req, bool ready, Responder* resp) {
  if (ready && member_.leader() == 0) {
    resp->Reply(503, "text/plain; charset=utf-8",
                "[-]serializable_read failed: etcdserver: no leader\nreadyz check failed\n");
    return;
  }
  resp->Reply(200, "text/plain; charset=utf-8", "ok");
}

}  // namespace etcdpp::server::http
