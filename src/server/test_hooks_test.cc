#include "server/test_hooks.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

// A build without the hooks ignores the variables; one with them honours them. (No other test
// of this binary reads the hooks, so the first read happens here, after setenv.)
TEST(TestHooksTest, TheEnvironmentCountsOnlyWhenTheHooksAreBuiltIn) {
  setenv("ETCDPP_TEST_PEER_FAULTS", "1", 1);
  setenv("ETCDPP_NO_CLIENT_HTTP", "1", 1);
  const TestHooks& h = GetTestHooks();
  EXPECT_EQ(h.peer_faults, TestHooksBuiltIn());
  EXPECT_EQ(h.no_client_http, TestHooksBuiltIn());
  unsetenv("ETCDPP_TEST_PEER_FAULTS");
  unsetenv("ETCDPP_NO_CLIENT_HTTP");
}

}  // namespace
}  // namespace etcdpp::server
