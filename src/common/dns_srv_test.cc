#include "common/dns_srv.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace etcdpp {
namespace {

TEST(SrvService, SslSuffixThenServiceName) {
  EXPECT_EQ(SrvService("etcd-client", "", true), "etcd-client-ssl");
  EXPECT_EQ(SrvService("etcd-client", "", false), "etcd-client");
  EXPECT_EQ(SrvService("etcd-server", "prod", true), "etcd-server-ssl-prod");
  EXPECT_EQ(SrvService("etcd-server", "prod", false), "etcd-server-prod");
}

TEST(ResolveTcpAddr, LiteralsPrintAsGoPrintsThem) {
  EXPECT_EQ(*ResolveTcpAddr("127.0.0.1", 2380), "127.0.0.1:2380");
  EXPECT_EQ(*ResolveTcpAddr("::1", 2380), "[::1]:2380");
}

TEST(ResolveTcpAddr, LocalhostPrefersIpv4) {
  // /etc/hosts names localhost for 127.0.0.1 (and often ::1): Go picks the IPv4 address.
  EXPECT_EQ(*ResolveTcpAddr("localhost", 2379), "127.0.0.1:2379");
}

TEST(ResolveTcpAddr, UnknownNameIsGosLookupError) {
  absl::StatusOr<std::string> r = ResolveTcpAddr("no-such-host.invalid", 2380);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "lookup no-such-host.invalid on "))
      << r.status();
}

}  // namespace
}  // namespace etcdpp
