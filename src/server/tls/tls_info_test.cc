#include "server/tls/tls_info.h"

#include <openssl/ssl.h>

#include "gtest/gtest.h"

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
