// --discovery with real processes: etcd 3.4's v2 discovery protocol against a discovery service
// that is a reference etcd 3.4 with --enable-v2, or an etcdpp with --enable-v2. Three etcdpp
// members started with only
// --discovery=<service>/v2/keys/discovery/<token> (the token's _config/size set to 3) register,
// wait for each other and form one cluster; a fourth finds the cluster full and stops with
// etcd's error (and says why it cannot fall back to a proxy); a token without a size stops
// start-up with etcd's "size key not found"; a restarted member does not ask the service again.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/command.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

constexpr char kStockEtcdctl[] = "/usr/bin/etcdctl";

// The parameter: which server is the discovery service ("etcd" or "etcdpp").
class DiscoveryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    for (const std::string& f : {GetParam(), std::string("etcdpp")}) {
      const std::string why = WhyNotRunnable(FlavorByName(f));
      if (!why.empty()) GTEST_SKIP() << why;
    }
    auto s = ServerProcess::Start(FlavorByName(GetParam()).binary,
                                  MemberConfig{.name = "disco", .extra_flags = {"--enable-v2"}});
    ASSERT_TRUE(s.ok()) << s.status();
    service_ = std::move(*s);
  }
  void TearDown() override {
    for (auto& m : members_) {
      if (HasFailure()) m->set_keep_temp_dir(true);
      (void)m->Kill();
    }
    if (service_) (void)service_->Kill();
  }

  std::string TokenUrl(const std::string& token) const {
    return absl::StrCat(service_->ClientUrl(), "/v2/keys/discovery/", token);
  }
  // curl against the discovery service; returns the body.
  std::string Curl(const std::string& args) {
    int rc = 0;
    std::string out = RunCommand(absl::StrCat("curl -sS --max-time 10 ", args), &rc);
    EXPECT_EQ(rc, 0) << out;
    return out;
  }
  void SetSize(const std::string& token, int size) {
    std::string out =
        Curl(absl::StrCat("-X PUT ", TokenUrl(token), "/_config/size -d value=", size));
    ASSERT_TRUE(absl::StrContains(out, "\"action\":\"set\"")) << out;
  }

  // Creates (does not wait for) an etcdpp member named `name` with --discovery and `flags`.
  ServerProcess* Launch(const std::string& name, const std::string& token,
                        std::vector<std::string> flags = {}) {
    MemberConfig cfg;
    cfg.name = name;
    cfg.pass_initial_cluster = false;
    cfg.extra_flags = {"--discovery=" + TokenUrl(token)};
    cfg.extra_flags.insert(cfg.extra_flags.end(), flags.begin(), flags.end());
    auto s = ServerProcess::Create(BinaryUnderTest(), cfg);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return nullptr;
    members_.push_back(std::move(*s));
    EXPECT_TRUE(members_.back()->Launch().ok());
    return members_.back().get();
  }

  // The member exits by itself; returns its log (bounded wait).
  std::string ExitLog(ServerProcess* m) {
    for (int i = 0; i < 300 && m->Running(); ++i) absl::SleepFor(absl::Milliseconds(100));
    EXPECT_FALSE(m->Running()) << m->LogTail();
    return m->LogTail(200);
  }

  std::string Etcdctl(ServerProcess* m, const std::string& args) {
    int rc = 0;
    std::string out = RunCommand(
        absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl, " --endpoints=", m->Endpoint(), " ", args),
        &rc);
    EXPECT_EQ(rc, 0) << args << ": " << out;
    return out;
  }

  std::unique_ptr<ServerProcess> service_;
  std::vector<std::unique_ptr<ServerProcess>> members_;
};

TEST_P(DiscoveryTest, ThreeMembersBootstrapThroughV2Discovery) {
  SetSize("t1", 3);
  ServerProcess* a = Launch("m1", "t1");
  ServerProcess* b = Launch("m2", "t1");
  ServerProcess* c = Launch("m3", "t1");
  ASSERT_TRUE(a && b && c);
  for (ServerProcess* m : {a, b, c}) {
    absl::Status st = m->WaitReady(absl::Seconds(40));
    ASSERT_TRUE(st.ok()) << st << m->LogTail();
  }
  EXPECT_TRUE(absl::StrContains(a->LogTail(400), "found all needed peers from discovery server"))
      << a->LogTail();
  // One cluster of the three: every member lists the same three, a write reaches all.
  std::string list = Etcdctl(a, "member list");
  for (const char* name : {"m1", "m2", "m3"}) {
    EXPECT_TRUE(absl::StrContains(list, absl::StrCat(", ", name, ", "))) << list;
  }
  EXPECT_EQ(Etcdctl(b, "member list"), list);
  EXPECT_EQ(Etcdctl(c, "member list"), list);
  EXPECT_EQ(Etcdctl(a, "put via-discovery yes"), "OK\n");
  EXPECT_EQ(Etcdctl(c, "get via-discovery --print-value-only"), "yes\n");
  // The service holds the three registrations ("name=peerURL" under each member's hex id).
  std::string dir = Curl(TokenUrl("t1"));
  for (ServerProcess* m : {a, b, c}) {
    EXPECT_TRUE(absl::StrContains(dir, absl::StrCat(m->config().name, "=", m->PeerUrl()))) << dir;
  }

  // A fourth finds the cluster full: etcd's error, and with the default fallback (proxy) the
  // reason etcdpp stops instead.
  ServerProcess* d = Launch("m4", "t1");
  std::string log = ExitLog(d);
  EXPECT_TRUE(absl::StrContains(log, "discovery: cluster is full")) << log;
  EXPECT_TRUE(absl::StrContains(log, "--discovery-fallback=proxy")) << log;
  ServerProcess* e = Launch("m5", "t1", {"--discovery-fallback=exit"});
  log = ExitLog(e);
  EXPECT_TRUE(absl::StrContains(log, "discovery: cluster is full")) << log;
  EXPECT_FALSE(absl::StrContains(log, "--discovery-fallback=proxy")) << log;
  EXPECT_FALSE(absl::StrContains(Curl(TokenUrl("t1")), "m4=")) << "a full cluster registers no one";

  // A restarted member does not ask the service again (it is gone now) and rejoins.
  ASSERT_TRUE(b->Kill().ok());
  ASSERT_TRUE(service_->Kill().ok());
  ASSERT_TRUE(b->Restart(absl::Seconds(30)).ok()) << b->LogTail();
  EXPECT_TRUE(absl::StrContains(b->LogTail(400), "discovery token is ignored")) << b->LogTail();
  EXPECT_EQ(Etcdctl(b, "get via-discovery --print-value-only --consistency=l"), "yes\n");
}

TEST_P(DiscoveryTest, ATokenWithoutASizeStopsStartUp) {
  ServerProcess* m = Launch("m1", "nosize");
  ASSERT_NE(m, nullptr);
  std::string log = ExitLog(m);
  EXPECT_TRUE(absl::StrContains(log, "discovery: size key not found")) << log;
}

// Flags that conflict with --discovery stop start-up with etcd's message.
TEST_P(DiscoveryTest, DiscoveryWithInitialClusterIsAConflict) {
  ServerProcess* m =
      Launch("m1", "conflict", {"--initial-cluster=m1=http://127.0.0.1:1", "--discovery-proxy="});
  ASSERT_NE(m, nullptr);
  std::string log = ExitLog(m);
  EXPECT_TRUE(absl::StrContains(log, "multiple discovery or bootstrap flags are set")) << log;
}

INSTANTIATE_TEST_SUITE_P(ServedBy, DiscoveryTest, ::testing::Values("etcd", "etcdpp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
