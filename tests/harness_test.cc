// Tests of the process harness itself, run against every configured server flavour (the
// reference etcd always; etcdpp when its binary is configured).

#include <signal.h>
#include <sys/wait.h>

#include <string>

#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

class HarnessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    flavor_ = FlavorByName(GetParam());
    std::string why = WhyNotRunnable(flavor_);
    if (!why.empty()) {
      if (flavor_.binary.empty()) GTEST_SKIP() << why;
      FAIL() << why;
    }
  }
  ServerFlavor flavor_;
};

TEST_P(HarnessTest, StartKillRestartStop) {
  auto server = ServerProcess::Start(flavor_.binary);
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  EXPECT_EQ(s.Endpoint(), "127.0.0.1:" + std::to_string(s.config().client_port));
  EXPECT_TRUE(PortAcceptsConnections(s.config().client_port));
  pid_t first_pid = s.pid();

  ASSERT_TRUE(s.Kill().ok());
  EXPECT_FALSE(s.Running());
  EXPECT_TRUE(WIFSIGNALED(s.last_wait_status()) && WTERMSIG(s.last_wait_status()) == SIGKILL);

  absl::Status st = s.Restart();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_NE(s.pid(), first_pid);
  EXPECT_TRUE(PortAcceptsConnections(s.config().client_port));

  ASSERT_TRUE(s.Stop().ok());
  EXPECT_FALSE(s.Running());
  EXPECT_FALSE(PortAcceptsConnections(s.config().client_port));
}

TEST_P(HarnessTest, StartupFailureReportsLogTail) {
  MemberConfig config;
  config.extra_flags = {"--no-such-flag-for-harness-test"};
  auto server = ServerProcess::Start(flavor_.binary, config);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("exited before it was ready"), std::string::npos)
      << server.status();
  EXPECT_NE(server.status().message().find("no-such-flag-for-harness-test"), std::string::npos)
      << server.status();
}

TEST(HarnessPorts, PickFreePortNeverRepeats) {
  auto a = PickFreePort();
  auto b = PickFreePort();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_FALSE(PortAcceptsConnections(*a));
}

INSTANTIATE_TEST_SUITE_P(Servers, HarnessTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
