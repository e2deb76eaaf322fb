#include "server/tls/tls_info.h"

#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"
#include "server/tls/grpc_credentials.h"
#include "server/tls/self_cert.h"

namespace etcdpp::server::tls {
namespace {

TEST(TlsInfoTest, GoCipherNamesMapToOpenSsl) {
  auto list = OpenSslCipherList({"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256",
                                 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305");
  auto bad =
      OpenSslCipherList({"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "--cipher-suites: unexpected TLS cipher suite \"ECDHE-RSA-AES128-GCM-SHA256\"");
}

TEST(TlsInfoTest, TlsVersions) {
  EXPECT_EQ(*ParseTlsVersion("tls-min-version", "TLS1.2"), TLS1_2_VERSION);
  EXPECT_EQ(*ParseTlsVersion("tls-max-version", "TLS1.3"), TLS1_3_VERSION);
  EXPECT_EQ(*ParseTlsVersion("tls-max-version", ""), 0);
  EXPECT_FALSE(ParseTlsVersion("tls-min-version", "TLS1.1").ok());
}

TEST(TlsInfoTest, MissingFilesNameTheFlag) {
  TlsInfo info;
  info.flag_prefix = "peer-";
  info.cert_file = "/nonexistent/cert.pem";
  info.key_file = "/nonexistent/key.pem";
  absl::Status st = CheckFiles(info);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "--peer-cert-file /nonexistent/cert.pem: open /nonexistent/cert.pem: No such file or "
            "directory");
  info.cert_file = "";
  EXPECT_FALSE(CheckFiles(info).ok());
}

TEST(TlsInfoTest, CnAndHostnameAreExclusive) {
  TlsInfo info;
  info.allowed_cn = "a";
  info.allowed_hostname = "b";
  EXPECT_FALSE(CheckFiles(info).ok());
}

}  // namespace
}  // namespace etcdpp::server::tls

namespace etcdpp::server::tls {
namespace {

// --peer-cert-allowed-hostname is judged by OpenSSL's RFC 6125 rules over the certificate's
// SANs (DNS and IP), as Go's VerifyHostname: exact names, one-label wildcards, IPs by value.
// SelfCert (auto-TLS) makes the certificates, and writes the key 0600 from its creation.
TEST(CertMatchesHostTest, OpenSslHostRules) {
  const std::string dir = ::testing::TempDir() + "/cert_matches_host_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  absl::StatusOr<TlsInfo> info =
      SelfCert(dir, {"node1.example.com", "*.svc.example.com", "127.0.0.1"});
  ASSERT_TRUE(info.ok()) << info.status();
  std::ifstream in(info->cert_file);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(CertMatchesHost(pem, "node1.example.com"));
  EXPECT_TRUE(CertMatchesHost(pem, "NODE1.example.com"));
  EXPECT_TRUE(CertMatchesHost(pem, "a.svc.example.com"));
  EXPECT_TRUE(CertMatchesHost(pem, "127.0.0.1"));
  EXPECT_FALSE(CertMatchesHost(pem, "node2.example.com"));
  EXPECT_FALSE(CertMatchesHost(pem, "a.b.svc.example.com"));  // one label only
  EXPECT_FALSE(CertMatchesHost(pem, "svc.example.com"));
  EXPECT_FALSE(CertMatchesHost(pem, "127.0.0.2"));
  EXPECT_FALSE(CertMatchesHost("not a certificate", "node1.example.com"));
  struct stat st;
  ASSERT_EQ(::stat(info->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace etcdpp::server::tls
