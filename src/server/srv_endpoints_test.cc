#include "server/srv_endpoints.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "common/fake_srv_lookup.h"

namespace etcdpp::server {
namespace {

using Answers = SrvAnswers;
SrvLookupFn Fake(Answers answers) { return FakeSrvLookup(std::move(answers)); }

// A check that passes the targets in `up` and records what it was asked.
struct FakeCheck {
  std::set<std::string> up;
  std::vector<std::string> asked;
  std::string ca_seen;
  EndpointCheck Fn() {
    return [this](const std::string& target, int port, const std::string& ca) {
      asked.push_back(target + ":" + std::to_string(port));
      ca_seen = ca;
      return up.count(target) ? absl::OkStatus() : absl::UnavailableError("connection refused");
    };
  }
};

const Answers kBoth = {
    {"_etcd-client-ssl._tcp.etcd.test",
     {{0, 0, 2379, "a.etcd.test."}, {0, 0, 2379, "down.etcd.test."}}},
    {"_etcd-client._tcp.etcd.test", {{0, 0, 2381, "c.etcd.test."}}},
};

TEST(DiscoverClientEndpoints, NoDomainNoDiscovery) {
  FakeCheck check;
  auto got = DiscoverClientEndpoints({}, Fake(kBoth), check.Fn());
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->endpoints.empty());
  EXPECT_TRUE(check.asked.empty());
}

TEST(DiscoverClientEndpoints, InsecureTakesEveryRecordUnchecked) {
  FakeCheck check;
  ClientDiscovery d{.domain = "etcd.test", .insecure = true};
  auto got = DiscoverClientEndpoints(d, Fake(kBoth), check.Fn());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->endpoints,
            (std::vector<std::string>{"https://a.etcd.test.:2379", "https://down.etcd.test.:2379",
                                      "http://c.etcd.test.:2381"}));
  ASSERT_EQ(got->records.size(), 3u);
  EXPECT_EQ(got->records[2].target, "c.etcd.test.");
  EXPECT_EQ(got->records[2].port, 2381);
  EXPECT_TRUE(check.asked.empty());
}

TEST(DiscoverClientEndpoints, SecureKeepsReachableHttpsOnly) {
  FakeCheck check{.up = {"a.etcd.test.", "c.etcd.test."}};
  ClientDiscovery d{.domain = "etcd.test"};
  auto got = DiscoverClientEndpoints(d, Fake(kBoth), check.Fn());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->endpoints, std::vector<std::string>{"https://a.etcd.test.:2379"});
  ASSERT_EQ(got->records.size(), 1u);
  EXPECT_EQ(got->records[0].target, "a.etcd.test.");
  // http endpoints are never dialled; without a CA the check is a plain connection.
  EXPECT_EQ(check.asked, (std::vector<std::string>{"a.etcd.test.:2379", "down.etcd.test.:2379"}));
  EXPECT_EQ(check.ca_seen, "");
}

TEST(DiscoverClientEndpoints, ServiceNameAndOneFailedLookup) {
  FakeCheck check;
  ClientDiscovery d{.domain = "etcd.test", .service_name = "prod", .insecure = true};
  auto got = DiscoverClientEndpoints(
      d, Fake({{"_etcd-client-prod._tcp.etcd.test", {{0, 0, 2379, "p.etcd.test."}}}}), check.Fn());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->endpoints, std::vector<std::string>{"http://p.etcd.test.:2379"});
}

TEST(DiscoverClientEndpoints, BothLookupsFailingIsGosError) {
  FakeCheck check;
  auto got = DiscoverClientEndpoints({.domain = "etcd.test"}, Fake({}), check.Fn());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "dns lookup errors: lookup _etcd-client-ssl._tcp.etcd.test on 127.0.0.1:53: no such "
            "host and lookup _etcd-client._tcp.etcd.test on 127.0.0.1:53: no such host");
}

TEST(DiscoverClientEndpoints, TrustedCaIsReadAndHandedToTheCheck) {
  const std::filesystem::path ca =
      std::filesystem::temp_directory_path() / ("srv-endpoints-ca-" + std::to_string(getpid()));
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  FakeCheck check{.up = {"a.etcd.test."}};
  ClientDiscovery d{.domain = "etcd.test", .trusted_ca_file = ca.string()};
  auto got = DiscoverClientEndpoints(d, Fake(kBoth), check.Fn());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(check.ca_seen, "-----BEGIN CERTIFICATE-----\n");
  std::filesystem::remove(ca);
  // A CA file that cannot be read stops discovery, naming the file.
  got = DiscoverClientEndpoints(d, Fake(kBoth), check.Fn());
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::StartsWith(got.status().message(), "open " + ca.string() + ": "))
      << got.status();
}

TEST(DialEndpoint, ConnectsOrSaysWhy) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  EXPECT_TRUE(DialEndpoint("127.0.0.1", port, "").ok());
  EXPECT_TRUE(DialEndpoint("localhost.", port, "").ok());  // the record's trailing dot
  close(fd);
  absl::Status st = DialEndpoint("127.0.0.1", port, "");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(absl::StrContains(st.message(), "connect: Connection refused")) << st;
  // A CA with no certificate in it fails the handshake check before any TLS is spoken.
  const int fd2 = socket(AF_INET, SOCK_STREAM, 0);
  a.sin_port = 0;
  ASSERT_EQ(bind(fd2, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd2, 4), 0);
  len = sizeof a;
  getsockname(fd2, reinterpret_cast<sockaddr*>(&a), &len);
  st = DialEndpoint("127.0.0.1", ntohs(a.sin_port), "not a certificate");
  EXPECT_EQ(st.message(), "no certificate in the trusted CA file");
  close(fd2);
}

}  // namespace
}  // namespace etcdpp::server
