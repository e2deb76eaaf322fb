// Real-process tests of the member's metrics beyond the client port: the --listen-metrics-urls
// listener (what it serves, next to etcd 3.4 doing the same), --metrics basic|extensive.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/http_util.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

const char kPutLabels[] = "{grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";

struct Started {
  std::unique_ptr<ServerProcess> server;
  int metrics_port = 0;
};

// One member of `flavor` with a metrics URL and `flags`.
absl::StatusOr<Started> StartWithMetricsUrl(const ServerFlavor& flavor, std::vector<std::string> flags) {
  absl::StatusOr<int> port = PickFreePort();
  if (!port.ok()) return port.status();
  flags.push_back(absl::StrCat("--listen-metrics-urls=http://127.0.0.1:", *port));
  absl::StatusOr<std::unique_ptr<ServerProcess>> s =
      ServerProcess::Start(flavor.binary, MemberConfig{.extra_flags = std::move(flags)});
  if (!s.ok()) return s.status();
  return Started{std::move(*s), *port};
}

void PutOverGrpc(const ServerProcess& s) {
  auto kv = etcdserverpb::KV::NewStub(NewChannel(s.Endpoint()));
  etcdserverpb::PutRequest put;
  put.set_key("k");
  etcdserverpb::PutResponse resp;
  grpc::Status st = kv->Put(ContextWithDeadline(std::chrono::seconds(5)).get(), put, &resp);
  EXPECT_TRUE(st.ok()) << StatusString(st);
}

// "<status> <body>" of each request a metrics listener gets, as etcd 3.4 answers them.
std::vector<std::string> MetricsUrlTranscript(int port) {
  std::vector<std::string> out;
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/health"}, {"GET", "/health?exclude=NOSPACE"}, {"GET", "/health?serializable=true"},
           {"POST", "/health"}, {"GET", "/version"}, {"GET", "/livez"}, {"GET", "/readyz"},
           {"POST", "/v3/kv/range"}, {"GET", "/metrics/x"}, {"GET", "/"}}) {
    absl::StatusOr<HttpReply> r = HttpDo(port, method, path);
    out.push_back(r.ok() ? absl::StrCat(method, " ", path, " -> ", r->status, " ", r->body)
                         : r.status().ToString());
  }
  return out;
}

// Both servers: /metrics and /health only, and --metrics extensive adds the handling histogram.
TEST(MetricsUrlTest, ServesMetricsAndHealthAsEtcd34Does) {
  std::map<std::string, std::vector<std::string>> transcripts;
  for (const ServerFlavor& flavor : AllServerFlavors()) {
    if (!WhyNotRunnable(flavor).empty()) GTEST_SKIP() << WhyNotRunnable(flavor);
    absl::StatusOr<Started> s = StartWithMetricsUrl(flavor, {"--metrics=extensive"});
    ASSERT_TRUE(s.ok()) << flavor.name << ": " << s.status();
    transcripts[flavor.name] = MetricsUrlTranscript(s->metrics_port);
    PutOverGrpc(*s->server);
    for (int port : {s->metrics_port, s->server->config().client_port}) {
      absl::StatusOr<std::map<std::string, double>> m = Scrape(port);
      ASSERT_TRUE(m.ok()) << flavor.name << " port " << port << ": " << m.status();
      EXPECT_EQ((*m)[absl::StrCat("grpc_server_handling_seconds_count", kPutLabels)], 1) << flavor.name;
      EXPECT_EQ((*m)["etcd_server_has_leader"], 1) << flavor.name;
    }
    EXPECT_TRUE(s->server->Stop().ok());
  }
  ASSERT_EQ(transcripts.size(), 2u);
  EXPECT_EQ(transcripts["etcdpp"], transcripts["etcd"]);
  EXPECT_EQ(transcripts["etcdpp"].front(), "GET /health -> 200 {\"health\":\"true\"}");
}

TEST(MetricsUrlTest, BasicMetricsHaveNoHandlingHistogram) {
  for (const ServerFlavor& flavor : AllServerFlavors()) {
    if (!WhyNotRunnable(flavor).empty()) GTEST_SKIP() << WhyNotRunnable(flavor);
    absl::StatusOr<Started> s = StartWithMetricsUrl(flavor, {"--metrics=basic"});
    ASSERT_TRUE(s.ok()) << flavor.name << ": " << s.status();
    PutOverGrpc(*s->server);
    absl::StatusOr<std::map<std::string, double>> m = Scrape(s->metrics_port);
    ASSERT_TRUE(m.ok()) << flavor.name << ": " << m.status();
    EXPECT_EQ((*m)[absl::StrCat("grpc_server_handled_total",
                                "{grpc_code=\"OK\",grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}")],
              1)
        << flavor.name;
    for (const auto& [name, value] : *m) {
      EXPECT_FALSE(absl::StartsWith(name, "grpc_server_handling_seconds")) << flavor.name << ": " << name;
    }
    EXPECT_TRUE(s->server->Stop().ok());
  }
}

}  // namespace
}  // namespace etcdpp::testing
