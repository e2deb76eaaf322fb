#include "server/config.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

TEST(ConfigTest, DefaultsAreEtcds) {
  absl::StatusOr<Config> c = ParseConfig({}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "default");
  EXPECT_EQ(c->data_dir, "default.etcd");
  EXPECT_EQ(c->max_request_bytes, 1572864u);
  EXPECT_EQ(c->max_txn_ops, 128u);
  EXPECT_EQ(c->initial_cluster, "default=http://localhost:2380");
  ASSERT_EQ(c->listen_client_urls.size(), 1u);
  EXPECT_EQ(c->listen_client_urls[0].ToString(), "http://localhost:2379");
}

TEST(ConfigTest, GoStyleFlagForms) {
  absl::StatusOr<Config> c =
      ParseConfig({"-name", "a", "--data-dir", "/tmp/x", "--max-txn-ops=7",
                   "-listen-client-urls=http://127.0.0.1:1,http://127.0.0.1:2", "--unsafe-no-fsync",
                   "--peer-auto-tls=false"},
                  {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "a");
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->max_txn_ops, 7u);
  ASSERT_EQ(c->listen_client_urls.size(), 2u);
  EXPECT_EQ(c->listen_client_urls[1].port, 2);
  EXPECT_TRUE(c->unsafe_no_fsync);
}

TEST(ConfigTest, MetricsUrlsAndLevel) {
  absl::StatusOr<Config> c = ParseConfig({}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->listen_metrics_urls.empty());
  EXPECT_EQ(c->metrics, "basic");
  c = ParseConfig({"--listen-metrics-urls=http://127.0.0.1:9,http://127.0.0.1:10"},
                  {"ETCD_METRICS=extensive"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->listen_metrics_urls.size(), 2u);
  EXPECT_EQ(c->listen_metrics_urls[1].ToString(), "http://127.0.0.1:10");
  EXPECT_EQ(c->metrics, "extensive");
  EXPECT_FALSE(ParseConfig({"--listen-metrics-urls=127.0.0.1:9"}, {}).ok());
}

TEST(ConfigTest, EnvironmentFillsWhatFlagsLeaveOut) {
  absl::StatusOr<Config> c =
      ParseConfig({"--name", "flag"}, {"ETCD_NAME=env", "ETCD_MAX_REQUEST_BYTES=10", "PATH=/bin"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "flag");
  EXPECT_EQ(c->max_request_bytes, 10u);
}

TEST(ConfigTest, MistakesGetGoFlagMessages) {
  EXPECT_EQ(ParseConfig({"--no-such-flag"}, {}).status().message(),
            "flag provided but not defined: -no-such-flag");
  EXPECT_EQ(ParseConfig({"--name"}, {}).status().message(), "flag needs an argument: -name");
  EXPECT_FALSE(ParseConfig({"--max-txn-ops", "x"}, {}).ok());
  EXPECT_FALSE(ParseConfig({"--listen-client-urls", "127.0.0.1:2379"}, {}).ok());
  EXPECT_FALSE(ParseConfig({"--initial-cluster-state", "bogus"}, {}).ok());
}

TEST(ConfigTest, TlsFlagsAndTheirEnvironmentForms) {
  auto c = ParseConfig(
      {"--cert-file", "/c.pem", "--key-file=/k.pem", "--client-cert-auth", "--peer-auto-tls",
       "--peer-cert-allowed-cn", "example.com", "--cipher-suites",
       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256"},
      {"ETCD_TRUSTED_CA_FILE=/ca.pem", "ETCD_CLIENT_CRL_FILE=/r.crl", "ETCD_CERT_FILE=/ignored",
       "ETCD_PEER_CLIENT_CERT_AUTH=true", "ETCD_TLS_MIN_VERSION=TLS1.3"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->client_tls.cert_file, "/c.pem");  // the flag wins over ETCD_CERT_FILE
  EXPECT_EQ(c->client_tls.key_file, "/k.pem");
  EXPECT_EQ(c->client_tls.trusted_ca_file, "/ca.pem");
  EXPECT_EQ(c->client_tls.crl_file, "/r.crl");
  EXPECT_TRUE(c->client_tls.client_cert_auth);
  EXPECT_FALSE(c->client_tls.auto_tls);
  EXPECT_TRUE(c->peer_tls.auto_tls);
  EXPECT_TRUE(c->peer_tls.client_cert_auth);
  EXPECT_EQ(c->peer_tls.allowed_cn, "example.com");
  EXPECT_EQ(c->peer_tls.Flag("cert-file"), "--peer-cert-file");
  EXPECT_EQ(c->cipher_suites.size(), 2u);
  EXPECT_EQ(c->tls_min_version, "TLS1.3");
}

// Booleans as Go's strconv.ParseBool reads them, on the command line and in ETCD_* variables:
// `--client-cert-auth=True` once turned client-certificate checks off without a word.
TEST(ConfigTest, BooleansReadAsGoReadsThem) {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    auto c = ParseConfig({absl::StrCat("--client-cert-auth=", yes)}, {});
    ASSERT_TRUE(c.ok()) << yes << ": " << c.status();
    EXPECT_TRUE(c->client_tls.client_cert_auth) << yes;
    c = ParseConfig({}, {absl::StrCat("ETCD_PEER_CLIENT_CERT_AUTH=", yes)});
    ASSERT_TRUE(c.ok()) << yes << ": " << c.status();
    EXPECT_TRUE(c->peer_tls.client_cert_auth) << yes;
  }
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) {
    auto c = ParseConfig({absl::StrCat("-client-cert-auth=", no), "--strict-reconfig-check=true"},
                         {absl::StrCat("ETCD_STRICT_RECONFIG_CHECK=", no)});
    ASSERT_TRUE(c.ok()) << no << ": " << c.status();
    EXPECT_FALSE(c->client_tls.client_cert_auth) << no;
    EXPECT_TRUE(c->strict_reconfig_check) << "the flag wins over the variable";
    c = ParseConfig({}, {absl::StrCat("ETCD_STRICT_RECONFIG_CHECK=", no)});
    ASSERT_TRUE(c.ok()) << no << ": " << c.status();
    EXPECT_FALSE(c->strict_reconfig_check) << no;
  }
  auto bare = ParseConfig({"--unsafe-no-fsync"}, {});
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->unsafe_no_fsync);
}

TEST(ConfigTest, OtherBooleanSpellingsAreRefusedByName) {
  for (const char* bad : {"yes", "no", "on", "off", "tRUE", "2", ""}) {
    EXPECT_EQ(
        ParseConfig({absl::StrCat("--client-cert-auth=", bad)}, {}).status().message(),
        absl::StrCat("invalid boolean value \"", bad, "\" for -client-cert-auth: parse error"));
  }
  for (const char* bad : {"yes", "on", "tRUE", "2"}) {
    EXPECT_EQ(ParseConfig({}, {absl::StrCat("ETCD_PEER_AUTO_TLS=", bad)}).status().message(),
              absl::StrCat("invalid value \"", bad, "\" for ETCD_PEER_AUTO_TLS: parse error"));
  }
  // A boolean does not take the next argument: "false" is left over, as in Go.
  EXPECT_FALSE(ParseConfig({"--client-cert-auth", "false"}, {}).ok());
  // An empty variable counts as unset, as etcd's.
  auto c = ParseConfig({}, {"ETCD_CLIENT_CERT_AUTH="});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->client_tls.client_cert_auth);
}

// etcd's parseCompactionRetention: a bare integer is hours (periodic) or revisions (revision),
// anything else a Go duration; etcd's messages for a bad mode or retention.
TEST(ConfigTest, AutoCompaction) {
  absl::StatusOr<Config> c = ParseConfig({}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auto_compaction_mode, "periodic");
  EXPECT_EQ(c->auto_compaction_period, absl::ZeroDuration());
  EXPECT_EQ(c->auto_compaction_revisions, 0);

  c = ParseConfig({"--auto-compaction-retention", "2"}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auto_compaction_period, absl::Hours(2));
  c = ParseConfig({"--auto-compaction-retention=1h30m"}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auto_compaction_period, absl::Minutes(90));
  c = ParseConfig({}, {"ETCD_AUTO_COMPACTION_RETENTION=2s"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auto_compaction_period, absl::Seconds(2));

  c = ParseConfig({"--auto-compaction-mode", "revision", "--auto-compaction-retention", "1000"},
                  {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auto_compaction_revisions, 1000);
  EXPECT_EQ(c->auto_compaction_period, absl::ZeroDuration());
  c = ParseConfig({"--auto-compaction-mode=revision", "--auto-compaction-retention=0"}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auto_compaction_revisions, 0);

  EXPECT_EQ(ParseConfig({"--auto-compaction-mode", "x"}, {}).status().message(),
            "unknown auto-compaction-mode \"x\"");
  EXPECT_EQ(ParseConfig({"--auto-compaction-retention", "1x"}, {}).status().message(),
            "error parsing CompactionRetention: time: unknown unit \"x\" in duration \"1x\"");
  EXPECT_EQ(ParseConfig({"--auto-compaction-retention", "-1"}, {}).status().message(),
            "error parsing CompactionRetention: time: missing unit in duration \"-1\"");
  EXPECT_FALSE(ParseConfig({"--auto-compaction-retention", "-1h"}, {}).ok());
}

// The corruption checks: off by default; the 3.4 and 3.5 names of the interval, Go durations.
TEST(ConfigTest, CorruptionChecks) {
  absl::StatusOr<Config> c = ParseConfig({}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->initial_corrupt_check);
  EXPECT_EQ(c->corrupt_check_time, absl::ZeroDuration());

  c = ParseConfig({"--experimental-initial-corrupt-check", "--experimental-corrupt-check-time=3s"},
                  {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->initial_corrupt_check);
  EXPECT_EQ(c->corrupt_check_time, absl::Seconds(3));
  c = ParseConfig({"--corrupt-check-time", "1m30s"},
                  {"ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK=true"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->initial_corrupt_check);
  EXPECT_EQ(c->corrupt_check_time, absl::Seconds(90));

  EXPECT_EQ(ParseConfig({"--experimental-corrupt-check-time", "5"}, {}).status().message(),
            "invalid value \"5\" for flag -experimental-corrupt-check-time: parse error");
}

}  // namespace
}  // namespace etcdpp::server
