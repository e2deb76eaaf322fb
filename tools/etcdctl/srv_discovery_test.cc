#include "srv_discovery.h"

#include <gtest/gtest.h>

#include <sstream>
#include <utility>

#include "common/fake_srv_lookup.h"

namespace etcdpp::etcdctl {
namespace {

SrvLookupFn Fake(SrvAnswers answers) { return FakeSrvLookup(std::move(answers), "10.0.0.53:53"); }

TEST(DiscoverEndpoints, HttpsFirstByPriorityAndInsecureKeptWhenAllowed) {
  std::ostringstream warn;
  auto eps = DiscoverEndpoints(
      "example.com", "", true,
      Fake({{"_etcd-client-ssl._tcp.example.com",
             {{20, 0, 2379, "b.example.com."}, {10, 0, 2379, "a.example.com."}}},
            {"_etcd-client._tcp.example.com", {{10, 0, 2380, "c.example.com."}}}}),
      warn);
  ASSERT_TRUE(eps.ok()) << eps.status();
  EXPECT_EQ(*eps,
            (std::vector<std::string>{"https://a.example.com.:2379", "https://b.example.com.:2379",
                                      "http://c.example.com.:2380"}));
  EXPECT_EQ(warn.str(), "");
}

TEST(DiscoverEndpoints, InsecureEndpointsDroppedWithAWarning) {
  std::ostringstream warn;
  auto eps = DiscoverEndpoints(
      "example.com", "prod", false,
      Fake({{"_etcd-client-prod._tcp.example.com", {{0, 0, 2379, "c.example.com."}}}}), warn);
  ASSERT_TRUE(eps.ok()) << eps.status();
  EXPECT_TRUE(eps->empty());
  EXPECT_EQ(warn.str(), "ignoring discovered insecure endpoint \"http://c.example.com.:2379\"\n");
}

TEST(DiscoverEndpoints, BothLookupsFailingIsGosError) {
  std::ostringstream warn;
  auto eps = DiscoverEndpoints("example.invalid", "", true, Fake({}), warn);
  EXPECT_EQ(eps.status().message(),
            "dns lookup errors: lookup _etcd-client-ssl._tcp.example.invalid on 10.0.0.53:53: no "
            "such host and lookup _etcd-client._tcp.example.invalid on 10.0.0.53:53: no such host");
}

}  // namespace
}  // namespace etcdpp::etcdctl
