// Real-process tests of the member's metrics beyond the client port: the --listen-metrics-urls
// listener (what it serves, next to etcd 3.4 doing the same), --metrics basic|extensive, and in
// a 3-member cluster the peer traffic, round trip and pending proposal metrics.

#include <signal.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/http_util.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

const char kPutLabels[] =
    "{grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";

struct Started {
  std::unique_ptr<ServerProcess> server;
  int metrics_port = 0;
};

// One member of `flavor` with a metrics URL and `flags`.
[[nodiscard]] absl::StatusOr<Started> StartWithMetricsUrl(const ServerFlavor& flavor,
                                                          std::vector<std::string> flags) {
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
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/health"},
                                                        {"GET", "/health?exclude=NOSPACE"},
                                                        {"GET", "/health?serializable=true"},
                                                        {"POST", "/health"},
                                                        {"GET", "/version"},
                                                        {"GET", "/livez"},
                                                        {"GET", "/readyz"},
                                                        {"POST", "/v3/kv/range"},
                                                        {"GET", "/metrics/x"},
                                                        {"GET", "/"}}) {
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
      EXPECT_EQ((*m)[absl::StrCat("grpc_server_handling_seconds_count", kPutLabels)], 1)
          << flavor.name;
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
                                "{grpc_code=\"OK\",grpc_method=\"Put\",grpc_service=\"etcdserverpb."
                                "KV\",grpc_type=\"unary\"}")],
              1)
        << flavor.name;
    for (const auto& [name, value] : *m) {
      EXPECT_FALSE(absl::StartsWith(name, "grpc_server_handling_seconds"))
          << flavor.name << ": " << name;
    }
    EXPECT_TRUE(s->server->Stop().ok());
  }
}

// Both servers count each call by the client-api-version metadata clientv3 sends ("unknown"
// without it).
TEST(MetricsUrlTest, CountsClientRequestsByApiVersion) {
  for (const ServerFlavor& flavor : AllServerFlavors()) {
    if (!WhyNotRunnable(flavor).empty()) GTEST_SKIP() << WhyNotRunnable(flavor);
    absl::StatusOr<Started> s = StartWithMetricsUrl(flavor, {});
    ASSERT_TRUE(s.ok()) << flavor.name << ": " << s.status();
    PutOverGrpc(*s->server);
    auto kv = etcdserverpb::KV::NewStub(NewChannel(s->server->Endpoint()));
    for (int i = 0; i < 2; ++i) {
      auto ctx = ContextWithDeadline(std::chrono::seconds(5));
      ctx->AddMetadata("client-api-version", "3.6");
      etcdserverpb::RangeRequest get;
      get.set_key("k");
      etcdserverpb::RangeResponse resp;
      grpc::Status st = kv->Range(ctx.get(), get, &resp);
      EXPECT_TRUE(st.ok()) << StatusString(st);
    }
    absl::StatusOr<std::map<std::string, double>> m = Scrape(s->metrics_port);
    ASSERT_TRUE(m.ok()) << flavor.name << ": " << m.status();
    EXPECT_EQ((*m)["etcd_server_client_requests_total{client_api_version=\"3.6\",type=\"unary\"}"],
              2)
        << flavor.name;
    EXPECT_GE(
        (*m)["etcd_server_client_requests_total{client_api_version=\"unknown\",type=\"unary\"}"], 1)
        << flavor.name;
    EXPECT_TRUE(s->server->Stop().ok());
  }
}

// ---- 3 members -------------------------------------------------------------------------------

// A 3-member etcdpp cluster with a long election timeout (5 s), so that the leader keeps leading
// while both followers are paused for a moment.
class PeerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<MemberConfig> cfgs(3);
    std::string initial;
    for (int i = 0; i < 3; ++i) {
      auto cp = PickFreePort(), pp = PickFreePort();
      ASSERT_TRUE(cp.ok() && pp.ok());
      cfgs[i] =
          MemberConfig{.name = absl::StrCat("m", i),
                       .client_port = *cp,
                       .peer_port = *pp,
                       .extra_flags = {"--heartbeat-interval=200", "--election-timeout=5000"}};
      absl::StrAppend(&initial, i ? "," : "", cfgs[i].name, "=http://127.0.0.1:", *pp);
    }
    for (MemberConfig& c : cfgs) {
      c.initial_cluster = initial;
      auto m = ServerProcess::Create(BinaryUnderTest(), c);
      ASSERT_TRUE(m.ok()) << m.status();
      members_.push_back(std::move(*m));
    }
    for (auto& m : members_) ASSERT_TRUE(m->Launch().ok());
    for (auto& m : members_) ASSERT_TRUE(m->WaitReady(absl::Seconds(30)).ok()) << m->LogTail();
  }
  void TearDown() override {
    for (auto& m : members_) {
      if (m->pid() > 0) kill(m->pid(), SIGCONT);  // never leave a paused member behind
      if (HasFailure()) m->set_keep_temp_dir(true);
      EXPECT_TRUE(m->Stop().ok());
    }
  }
  // (member id in hex, leader id) as member i reports them; {"", 0} if it does not answer.
  std::pair<std::string, uint64_t> Ids(int i) {
    auto stub = etcdserverpb::Maintenance::NewStub(NewChannel(members_[i]->Endpoint()));
    etcdserverpb::StatusRequest req;
    etcdserverpb::StatusResponse resp;
    if (!stub->Status(ContextWithDeadline(std::chrono::seconds(5)).get(), req, &resp).ok())
      return {"", 0};
    return {absl::StrFormat("%x", resp.header().member_id()), resp.leader()};
  }
  std::map<std::string, double> ScrapeMember(int i) {
    absl::StatusOr<std::map<std::string, double>> m = Scrape(members_[i]->config().client_port);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : std::map<std::string, double>{};
  }

  std::vector<std::unique_ptr<ServerProcess>> members_;
};

TEST_F(PeerMetricsTest, PeerTrafficRoundTripDbSizeProposalsAndLeadershipMove) {
  std::vector<std::string> hex(3);
  uint64_t leader_id = 0;
  for (int i = 0; i < 3; ++i) std::tie(hex[i], leader_id) = Ids(i);
  int leader = -1;
  for (int i = 0; i < 3; ++i) {
    if (absl::StrFormat("%x", leader_id) == hex[i]) leader = i;
  }
  ASSERT_GE(leader, 0) << "no leader";
  std::vector<int> followers;
  for (int i = 0; i < 3; ++i) {
    if (i != leader) followers.push_back(i);
  }
  auto sent = [&](int to) {
    return absl::StrCat("etcd_network_peer_sent_bytes_total{To=\"", hex[to], "\"}");
  };
  auto received = [&](int from) {
    return absl::StrCat("etcd_network_peer_received_bytes_total{From=\"", hex[from], "\"}");
  };
  const std::string pending = "etcd_server_proposals_pending";

  // Bytes: a 64 KiB put goes from the leader to each follower.
  std::map<std::string, double> before = ScrapeMember(leader);
  std::map<std::string, double> f_before = ScrapeMember(followers[0]);
  auto kv = etcdserverpb::KV::NewStub(NewChannel(members_[leader]->Endpoint()));
  etcdserverpb::PutRequest put;
  put.set_key("big");
  put.set_value(std::string(64 << 10, 'x'));
  etcdserverpb::PutResponse pr;
  ASSERT_TRUE(kv->Put(ContextWithDeadline(std::chrono::seconds(10)).get(), put, &pr).ok());
  std::map<std::string, double> after = ScrapeMember(leader);
  for (int f : followers) {
    EXPECT_GE(after[sent(f)], before[sent(f)] + (64 << 10)) << "to " << hex[f];
    EXPECT_GT(after[received(f)], 0) << "from " << hex[f];
  }
  std::map<std::string, double> f_after = ScrapeMember(followers[0]);
  EXPECT_GE(f_after[received(leader)], f_before[received(leader)] + (64 << 10));
  EXPECT_EQ(after[pending], 0);
  // The database grows once the backend commits the put (bounded wait).
  const std::string in_use = "etcd_mvcc_db_total_size_in_use_in_bytes",
                    total = "etcd_mvcc_db_total_size_in_bytes";
  for (int attempt = 0; attempt < 100 && after[in_use] < before[in_use] + (64 << 10); ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
    after = ScrapeMember(leader);
  }
  EXPECT_GE(after[in_use], before[in_use] + (64 << 10));
  EXPECT_GE(after[total], after[in_use]);
  EXPECT_GT(after[total], before[total]);

  // Round trip: every member probes every peer (bounded wait).
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      if (i == j) continue;
      std::string count =
          absl::StrCat("etcd_network_peer_round_trip_time_seconds_count{To=\"", hex[j], "\"}");
      double n = 0;
      for (int attempt = 0; attempt < 100 && n < 1; ++attempt) {
        n = ScrapeMember(i)[count];
        if (n < 1) absl::SleepFor(absl::Milliseconds(200));
      }
      EXPECT_GE(n, 1) << "member " << i << " never measured " << hex[j];
    }
  }

  // Pending: with both followers paused, a put waits for its quorum (the leader keeps leading
  // for the 5 s election timeout); once they resume it commits and nothing is pending.
  for (int f : followers) ASSERT_EQ(kill(members_[f]->pid(), SIGSTOP), 0);
  grpc::Status put_status;
  std::thread writer([&] {
    etcdserverpb::PutRequest p;
    p.set_key("waits");
    etcdserverpb::PutResponse r;
    put_status = kv->Put(ContextWithDeadline(std::chrono::seconds(30)).get(), p, &r);
  });
  double seen = 0;
  for (int attempt = 0; attempt < 40 && seen < 1; ++attempt) {
    seen = ScrapeMember(leader)[pending];
    if (seen < 1) absl::SleepFor(absl::Milliseconds(50));
  }
  for (int f : followers) kill(members_[f]->pid(), SIGCONT);
  writer.join();
  EXPECT_EQ(seen, 1);
  EXPECT_TRUE(put_status.ok()) << StatusString(put_status);
  EXPECT_EQ(ScrapeMember(leader)[pending], 0);

  // Leadership: paused followers past the election timeout leave the leader without a quorum;
  // it steps down (has/is leader 0) and a put fails there; on resume a leader is elected again.
  before = ScrapeMember(leader);
  EXPECT_EQ(before["etcd_server_is_leader"], 1);
  for (int f : followers) ASSERT_EQ(kill(members_[f]->pid(), SIGSTOP), 0);
  double has_leader = 1;
  for (int attempt = 0; attempt < 150 && has_leader != 0; ++attempt) {
    has_leader = ScrapeMember(leader)["etcd_server_has_leader"];
    if (has_leader != 0) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(has_leader, 0);
  etcdserverpb::PutRequest lost;
  lost.set_key("no-quorum");
  EXPECT_FALSE(kv->Put(ContextWithDeadline(std::chrono::seconds(10)).get(), lost, &pr).ok());
  // Failed: at once (no leader) or when the server's own request timeout expires (bounded).
  const std::string failed = "etcd_server_proposals_failed_total";
  after = ScrapeMember(leader);
  for (int attempt = 0; attempt < 300 && after[failed] <= before[failed]; ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
    after = ScrapeMember(leader);
  }
  for (int f : followers) kill(members_[f]->pid(), SIGCONT);
  EXPECT_EQ(after["etcd_server_is_leader"], 0);
  EXPECT_GT(after[failed], before[failed]);
  for (int attempt = 0; attempt < 300 && after["etcd_server_has_leader"] != 1; ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
    after = ScrapeMember(leader);
  }
  EXPECT_EQ(after["etcd_server_has_leader"], 1);
  EXPECT_GT(after["etcd_server_leader_changes_seen_total"],
            before["etcd_server_leader_changes_seen_total"]);
}

}  // namespace
}  // namespace etcdpp::testing
