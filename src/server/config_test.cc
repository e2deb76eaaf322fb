#include "server/config.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/usage.h"

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
  absl::StatusOr<Config> c = ParseConfig(
      {"--name", "flag"}, {"ETCD_NAME=", "ETCD_MAX_REQUEST_BYTES=10", "PATH=/bin", "ETCD_NAMEX=1"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "flag");
  EXPECT_EQ(c->max_request_bytes, 10u);
  EXPECT_EQ(c->warnings, std::vector<std::string>{"unrecognized environment variable ETCD_NAMEX=1"})
      << "etcd warns about ETCD_* variables that name no flag";
  // A variable and a flag for the same setting: etcd 3.5 stops, naming the variable.
  c = ParseConfig({"--name", "flag"}, {"ETCD_NAME=env"});
  EXPECT_EQ(c.status().message(),
            "conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding "
            "command-line flag (either unset environment variable or disable flag)");
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
  auto c =
      ParseConfig({"--cert-file", "/c.pem", "--key-file=/k.pem", "--client-cert-auth",
                   "--peer-auto-tls", "--peer-cert-allowed-cn", "example.com", "--cipher-suites",
                   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256"},
                  {"ETCD_TRUSTED_CA_FILE=/ca.pem", "ETCD_CLIENT_CRL_FILE=/r.crl",
                   "ETCD_PEER_CLIENT_CERT_AUTH=true", "ETCD_TLS_MIN_VERSION=TLS1.3"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->client_tls.cert_file, "/c.pem");
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
    auto c = ParseConfig({absl::StrCat("-client-cert-auth=", no)}, {});
    ASSERT_TRUE(c.ok()) << no << ": " << c.status();
    EXPECT_FALSE(c->client_tls.client_cert_auth) << no;
    c = ParseConfig({}, {absl::StrCat("ETCD_STRICT_RECONFIG_CHECK=", no)});
    ASSERT_TRUE(c.ok()) << no << ": " << c.status();
    EXPECT_FALSE(c->strict_reconfig_check) << no;
  }
  auto v2 = ParseConfig({"--enable-v2"}, {});
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_TRUE(v2->enable_v2);
  v2 = ParseConfig({}, {"ETCD_ENABLE_V2=True"});
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_TRUE(v2->enable_v2);
  v2 = ParseConfig({}, {});
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_FALSE(v2->enable_v2);
  auto bare = ParseConfig({"--unsafe-no-fsync"}, {});
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->unsafe_no_fsync);
}

// etcd's two bounds on the election timeout (embed.Config.Validate), with its messages.
TEST(ConfigTest, ElectionTimeoutBoundsAreEtcds) {
  EXPECT_EQ(
      ParseConfig({"--heartbeat-interval=300", "--election-timeout=1000"}, {}).status().message(),
      "--election-timeout[1000ms] should be at least as 5 times as "
      "--heartbeat-interval[300ms]");
  EXPECT_EQ(ParseConfig({"--election-timeout=60000"}, {}).status().message(),
            "--election-timeout[60000ms] is too long, and should be set less than 50000ms");
  auto at_max = ParseConfig({"--election-timeout=50000"}, {});
  ASSERT_TRUE(at_max.ok()) << at_max.status();
  EXPECT_EQ(at_max->election_timeout_ms, 50000);
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

// Flags etcdpp does not implement: refused by name unless the value asks for what etcdpp does.
TEST(ConfigTest, UnimplementedFlagsAreRefusedByName) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--pre-vote=false"},
           {"--logger", "capnslog"},
           {"--experimental-backend-bbolt-freelist-type", "map"},
           {"--grpc-keepalive-timeout", "5s"},
           {"--proxy", "on"},
           {"--feature-gates", "StopGRPCServiceOnDefrag=true"},
       }) {
    absl::StatusOr<Config> c = ParseConfig(args, {});
    ASSERT_FALSE(c.ok()) << args[0];
    const std::string flag = args[0].substr(0, args[0].find('='));
    EXPECT_TRUE(absl::StrContains(c.status().message(), flag)) << c.status();
    EXPECT_TRUE(absl::StrContains(c.status().message(), "not supported")) << c.status();
  }
  // The same through the environment.
  absl::StatusOr<Config> c = ParseConfig({}, {"ETCD_EXPERIMENTAL_ENABLE_DISTRIBUTED_TRACING=true"});
  EXPECT_TRUE(absl::StrContains(c.status().message(), "--experimental-enable-distributed-tracing"))
      << c.status();
  // Values that ask for what etcdpp does anyway.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--enable-v2=false"},
           {"--pre-vote"},
           {"--logger", "zap"},
           {"--proxy", "off", "--proxy-dial-timeout", "1000"},
           {"--wal-dir", ""},
           {"--enable-grpc-gateway"},
       }) {
    absl::StatusOr<Config> ok = ParseConfig(args, {});
    EXPECT_TRUE(ok.ok()) << args[0] << ": " << ok.status();
  }
}

// `etcdpp --help` lists every flag etcdpp knows exactly once (the four shown in its header,
// -h/--help/--version/--config-file, aside), and says under each refused flag what it takes.
TEST(ConfigTest, UsageListsEveryKnownFlagOnce) {
  std::vector<std::string> listed = UsageFlags();
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(std::adjacent_find(listed.begin(), listed.end()), listed.end());
  std::vector<std::string> known;
  for (const std::string& f : KnownFlags()) {
    if (f != "h" && f != "help" && f != "version" && f != "config-file") known.push_back(f);
  }
  EXPECT_EQ(listed, known);
  const std::string usage = ServerUsage();
  EXPECT_TRUE(absl::StrContains(usage,
                                "  --experimental-enable-v2v3 ''\n"
                                "    Serve v2 requests through the v3 backend under a given "
                                "prefix.\n"
                                "    [etcdpp] Not supported by etcdpp (the v2 API on the v3 store "
                                "is not built); only '' is accepted.\n"))
      << usage;
  // An implemented flag gets no note.
  EXPECT_TRUE(absl::StrContains(usage,
                                "  --wal-dir ''\n    Path to the dedicated wal directory.\n"
                                "  --snapshot-count"));
  for (const std::string& f : listed) {
    EXPECT_EQ(IsImplementedFlag(f), FlagSupportNote(f).empty()) << f;
  }
}

TEST(ConfigTest, LogLevelsAndOutputs) {
  for (const char* level : {"debug", "info", "warn", "error", "dpanic", "panic", "fatal"}) {
    EXPECT_TRUE(ParseConfig({"--log-level", level}, {}).ok()) << level;
  }
  absl::StatusOr<Config> c = ParseConfig({"--log-level", "verbose"}, {});
  EXPECT_TRUE(absl::StrContains(c.status().message(), "\"verbose\"")) << c.status();
  c = ParseConfig({"--log-outputs", "stdout,/tmp/x.log"}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log_outputs, (std::vector<std::string>{"stdout", "/tmp/x.log"}));
  c = ParseConfig({}, {});
  EXPECT_EQ(c->log_outputs, std::vector<std::string>{"default"});
}

// --discovery (the v2 discovery URL) likewise: no default initial cluster, one given (or
// --discovery-srv) is a conflict; --discovery-fallback takes "exit" or "proxy" (the default).
TEST(ConfigTest, DiscoveryUrlTakesThePlaceOfInitialCluster) {
  const std::string url = "http://127.0.0.1:2379/v2/keys/discovery/t";
  absl::StatusOr<Config> c = ParseConfig({"--discovery", url, "--discovery-proxy", "p:3128"}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->discovery, url);
  EXPECT_EQ(c->discovery_proxy, "p:3128");
  EXPECT_EQ(c->discovery_fallback, "proxy");
  EXPECT_EQ(c->initial_cluster, "");
  c = ParseConfig({"--discovery-fallback=exit"}, {"ETCD_DISCOVERY=" + url});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->discovery, url);
  EXPECT_EQ(c->discovery_fallback, "exit");
  EXPECT_EQ(ParseConfig({"--discovery-fallback=stay"}, {}).status().message(),
            "invalid value \"stay\" for flag -discovery-fallback: invalid value");
  const std::string conflict =
      "multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", "
      "\"discovery\" or \"discovery-srv\"";
  EXPECT_EQ(
      ParseConfig({"--discovery", url, "--discovery-srv", "etcd.test"}, {}).status().message(),
      conflict);
  EXPECT_EQ(ParseConfig({"--discovery", url, "--initial-cluster", "a=http://10.0.0.1:2380"}, {})
                .status()
                .message(),
            conflict);
}

// --discovery-srv replaces --initial-cluster (etcdmain/config.go, embed.Config.Validate): no
// default initial cluster is made up, and one given is etcd's conflict error.
TEST(ConfigTest, DiscoverySrvTakesThePlaceOfInitialCluster) {
  absl::StatusOr<Config> c = ParseConfig(
      {"--name", "infra0", "--discovery-srv", "etcd.test", "--discovery-srv-name", "prod"}, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->discovery_srv, "etcd.test");
  EXPECT_EQ(c->discovery_srv_name, "prod");
  EXPECT_EQ(c->initial_cluster, "");
  c = ParseConfig({"--discovery-srv-name", "prod"}, {});  // etcd clears the default here too
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->initial_cluster, "");
  c = ParseConfig({}, {"ETCD_DISCOVERY_SRV=etcd.test"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->discovery_srv, "etcd.test");
  const std::string conflict =
      "multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", "
      "\"discovery\" or \"discovery-srv\"";
  EXPECT_EQ(ParseConfig({"--discovery-srv", "etcd.test", "--initial-cluster",
                         "default=http://localhost:2380"},
                        {})
                .status()
                .message(),
            conflict);
  EXPECT_EQ(
      ParseConfig({"--initial-cluster", "a=http://10.0.0.1:2380"}, {"ETCD_DISCOVERY_SRV=etcd.test"})
          .status()
          .message(),
      conflict);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& yaml) {
    // One file per test and process: ctest runs the cases of this binary in parallel.
    const std::string path = absl::StrCat(
        ::testing::TempDir(), "/etcdpp-config-test-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", getpid(), ".yml");
    std::ofstream(path, std::ios::trunc) << yaml;
    return path;
  }
};

TEST_F(ConfigFileTest, DiscoverySrvWithEtcdsDefaultInitialCluster) {
  // etcd's sample etcd.conf.yml keeps initial-cluster at its default: with discovery-srv set,
  // that counts as unset.
  absl::StatusOr<Config> c = ParseConfig(
      {"--config-file",
       Write("discovery-srv: etcd.test\ninitial-cluster: default=http://localhost:2380\n")},
      {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->discovery_srv, "etcd.test");
  EXPECT_EQ(c->initial_cluster, "");
  c = ParseConfig(
      {"--config-file", Write("discovery-srv: etcd.test\ninitial-cluster: a=http://a:2380\n")}, {});
  EXPECT_TRUE(absl::StartsWith(c.status().message(), "multiple discovery or bootstrap flags"))
      << c.status();
}

TEST_F(ConfigFileTest, EtcdsKeysAndTheSecurityBlocks) {
  const std::string path = Write(R"(
name: 'infra1'
data-dir: /var/lib/x
wal-dir:
snapshot-count: 10000
heartbeat-interval: 50
election-timeout: 500
listen-client-urls: http://127.0.0.1:2379,http://127.0.0.1:22379
advertise-client-urls: http://127.0.0.1:2379
initial-cluster: infra1=http://127.0.0.1:2380
initial-cluster-state: 'new'
strict-reconfig-check: false
enable-v2: false
proxy: 'off'
proxy-failure-wait: 5000
client-transport-security:
  cert-file: /c.pem
  key-file: /k.pem
  client-cert-auth: True
  trusted-ca-file:
  auto-tls: false
peer-transport-security:
  auto-tls: true
  allowed-cn: peer.example
log-outputs: [stderr, stdout]
auto-compaction-mode: periodic
auto-compaction-retention: "1"
)");
  absl::StatusOr<Config> c =
      ParseConfig({"--config-file", path, "--name", "ignored"}, {"ETCD_SNAPSHOT_COUNT=7"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config_file, path);
  EXPECT_EQ(c->name, "infra1") << "the file wins over flags";
  EXPECT_EQ(c->snapshot_count, 10000u) << "and over the environment";
  EXPECT_EQ(c->data_dir, "/var/lib/x");
  EXPECT_EQ(c->wal_dir, "") << "a null key is unset";
  EXPECT_EQ(c->heartbeat_interval_ms, 50u);
  EXPECT_EQ(c->election_timeout_ms, 500u);
  ASSERT_EQ(c->listen_client_urls.size(), 2u);
  EXPECT_FALSE(c->strict_reconfig_check);
  EXPECT_EQ(c->client_tls.cert_file, "/c.pem");
  EXPECT_TRUE(c->client_tls.client_cert_auth);
  EXPECT_TRUE(c->peer_tls.auto_tls);
  EXPECT_EQ(c->peer_tls.allowed_cn, "peer.example");
  EXPECT_EQ(c->log_outputs, (std::vector<std::string>{"stderr", "stdout"}));
  EXPECT_EQ(c->auto_compaction_period, absl::Hours(1));
  // ETCD_CONFIG_FILE works as the flag does.
  c = ParseConfig({}, {absl::StrCat("ETCD_CONFIG_FILE=", path)});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "infra1");
}

TEST_F(ConfigFileTest, UnknownKeysWrongTypesAndUnreadableFilesAreNamed) {
  struct Case {
    std::string yaml;
    std::string want;
  };
  for (const Case& t : std::vector<Case>{
           {"name: a\nno-such-key: 1\n", "unknown key \"no-such-key\""},
           {"client-transport-security:\n  bogus: 1\n",
            "unknown key \"client-transport-security.bogus\""},
           {"listen-client-urls:\n  a: b\n", "key \"listen-client-urls\""},
           {"client-transport-security: yes\n", "key \"client-transport-security\""},
           {"snapshot-count: many\n", "snapshot-count"},
           {"client-cert-auth: maybe\n", "\"client-cert-auth\""},
           {"experimental-enable-distributed-tracing: true\n",
            "--experimental-enable-distributed-tracing"},
           {"name: [unclosed\n", "not valid YAML"},
       }) {
    const std::string path = Write(t.yaml);
    absl::StatusOr<Config> c = ParseConfig({"--config-file", path}, {});
    ASSERT_FALSE(c.ok()) << t.yaml;
    EXPECT_TRUE(absl::StrContains(c.status().message(), t.want)) << c.status();
  }
  absl::StatusOr<Config> c = ParseConfig({"--config-file", "/nonexistent/etcd.yml"}, {});
  EXPECT_TRUE(absl::StrContains(c.status().message(), "/nonexistent/etcd.yml")) << c.status();
}

}  // namespace
}  // namespace etcdpp::server
