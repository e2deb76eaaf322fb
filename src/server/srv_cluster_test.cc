#include "server/srv_cluster.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"

namespace etcdpp::server {
namespace {

// A DNS that knows `srv` and `hosts` (name -> IPv4) and says Go's "no such host" otherwise.
struct FakeDns {
  std::map<std::string, std::vector<SrvRecord>> srv;
  std::map<std::string, std::string> hosts;

  SrvResolver Resolver() const {
    SrvResolver r;
    r.lookup_srv = [this](const std::string& name) -> absl::StatusOr<std::vector<SrvRecord>> {
      auto it = srv.find(name);
      if (it == srv.end()) {
        return absl::NotFoundError("lookup " + name + " on 127.0.0.1:53: no such host");
      }
      return it->second;
    };
    r.resolve_tcp = [this](const std::string& host, int port) -> absl::StatusOr<std::string> {
      if (host.find_first_not_of("0123456789.") == std::string::npos) {
        return absl::StrCat(host, ":", port);
      }
      auto it = hosts.find(host);
      if (it == hosts.end()) {
        return absl::NotFoundError("lookup " + host + " on 127.0.0.1:53: no such host");
      }
      return absl::StrCat(it->second, ":", port);
    };
    return r;
  }
};

Config Member(const std::string& name, const std::string& apurl) {
  Config c;
  c.name = name;
  c.discovery_srv = "etcd.test";
  c.initial_advertise_peer_urls = *ParseUrls("initial-advertise-peer-urls", apurl);
  c.peer_tls.trusted_ca_file = "/ca.crt";
  return c;
}

FakeDns ThreeHosts() {
  FakeDns d;
  d.hosts = {
      {"m0.etcd.test", "10.0.0.1"}, {"m1.etcd.test", "10.0.0.2"}, {"m2.etcd.test", "10.0.0.3"}};
  return d;
}

std::vector<SrvRecord> Records(int port) {
  return {{0, 0, static_cast<uint16_t>(port), "m0.etcd.test."},
          {0, 0, static_cast<uint16_t>(port), "m1.etcd.test."},
          {0, 0, static_cast<uint16_t>(port), "m2.etcd.test."}};
}

TEST(InitialClusterFromSrv, HttpRecordsNameThisMemberByItsAdvertisedAddress) {
  FakeDns d = ThreeHosts();
  d.srv["_etcd-server._tcp.etcd.test"] = Records(2380);
  auto c = InitialClusterFromSrv(Member("infra1", "http://10.0.0.2:2380"), d.Resolver());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c,
            "0=http://m0.etcd.test:2380,infra1=http://m1.etcd.test:2380,"
            "1=http://m2.etcd.test:2380");
}

TEST(InitialClusterFromSrv, SslRecordsAndServiceNameSuffix) {
  FakeDns d = ThreeHosts();
  d.srv["_etcd-server-ssl-prod._tcp.etcd.test"] = Records(2380);
  d.srv["_etcd-server._tcp.etcd.test"] = Records(9999);  // another cluster's, not looked up
  Config cfg = Member("infra0", "https://m0.etcd.test:2380");
  cfg.discovery_srv_name = "prod";
  auto c = InitialClusterFromSrv(cfg, d.Resolver());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c,
            "infra0=https://m0.etcd.test:2380,0=https://m1.etcd.test:2380,"
            "1=https://m2.etcd.test:2380");
}

TEST(InitialClusterFromSrv, BothServicesCombinedWithDistinctPlaceholderNames) {
  FakeDns d = ThreeHosts();
  d.srv["_etcd-server-ssl._tcp.etcd.test"] = {{0, 0, 2380, "m0.etcd.test."}};
  d.srv["_etcd-server._tcp.etcd.test"] = {{0, 0, 2380, "m1.etcd.test."},
                                          {0, 0, 2380, "m2.etcd.test."}};
  auto c = InitialClusterFromSrv(Member("infra2", "http://10.0.0.3:2380"), d.Resolver());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c,
            "0=https://m0.etcd.test:2380,1=http://m1.etcd.test:2380,"
            "infra2=http://m2.etcd.test:2380");
}

TEST(InitialClusterFromSrv, NoRecordMatchingTheAdvertisedUrlsIsEtcdsError) {
  FakeDns d = ThreeHosts();
  d.srv["_etcd-server._tcp.etcd.test"] = Records(2380);
  auto c = InitialClusterFromSrv(Member("infra9", "http://10.0.0.9:2380"), d.Resolver());
  EXPECT_EQ(c.status().message(),
            "error setting up initial cluster: cannot find local etcd member \"infra9\" in SRV "
            "records");
}

TEST(InitialClusterFromSrv, NoRecordsAtAllIsEachLookupsError) {
  FakeDns d = ThreeHosts();
  auto c = InitialClusterFromSrv(Member("infra0", "http://10.0.0.1:2380"), d.Resolver());
  EXPECT_EQ(c.status().message(),
            "error setting up initial cluster: error querying DNS SRV records for "
            "_etcd-server-ssl lookup _etcd-server-ssl._tcp.etcd.test on 127.0.0.1:53: no such "
            "host; error querying DNS SRV records for _etcd-server lookup "
            "_etcd-server._tcp.etcd.test on 127.0.0.1:53: no such host");
}

TEST(InitialClusterFromSrv, SchemeMismatchWithTheAdvertisedUrl) {
  FakeDns d = ThreeHosts();
  d.srv["_etcd-server-ssl._tcp.etcd.test"] = {{0, 0, 2380, "m0.etcd.test."}};
  auto c = InitialClusterFromSrv(Member("infra0", "http://10.0.0.1:2380"), d.Resolver());
  EXPECT_EQ(c.status().message(),
            "error setting up initial cluster: error querying DNS SRV records for "
            "_etcd-server-ssl bootstrap at https://m0.etcd.test:2380 from DNS for "
            "etcd-server-ssl has scheme mismatch with expected peer http://10.0.0.1:2380; error "
            "querying DNS SRV records for _etcd-server lookup _etcd-server._tcp.etcd.test on "
            "127.0.0.1:53: no such host");
}

TEST(InitialClusterFromSrv, UnresolvableTargetIsSkipped) {
  FakeDns d = ThreeHosts();
  d.srv["_etcd-server._tcp.etcd.test"] = {{0, 0, 2380, "gone.etcd.test."},
                                          {0, 0, 2380, "m0.etcd.test."}};
  auto c = InitialClusterFromSrv(Member("infra0", "http://10.0.0.1:2380"), d.Resolver());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, "infra0=http://m0.etcd.test:2380");
}

TEST(InitialClusterFromSrv, HttpsPeersWithoutATrustedCaAreRefused) {
  FakeDns d = ThreeHosts();
  d.srv["_etcd-server-ssl._tcp.etcd.test"] = Records(2380);
  Config cfg = Member("infra0", "https://10.0.0.1:2380");
  cfg.peer_tls.trusted_ca_file.clear();
  auto c = InitialClusterFromSrv(cfg, d.Resolver());
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--peer-trusted-ca-file is not set"), std::string::npos);
  cfg.peer_tls.auto_tls = true;  // self-signed peers are not verified: nothing to verify against
  EXPECT_TRUE(InitialClusterFromSrv(cfg, d.Resolver()).ok());
}

}  // namespace
}  // namespace etcdpp::server
