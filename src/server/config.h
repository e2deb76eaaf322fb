#pragma once
// Server configuration: etcd's flag names, Go-style syntax (-name x, --name x, --name=x) and
// the ETCD_* environment forms (ETCD_DATA_DIR for --data-dir). A flag on the command line wins
// over the environment, as in etcd.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  int port = 0;
  std::string ToString() const;
};

struct Config {
  std::string name = "default";
  std::string data_dir;  // default: <name>.etcd
  std::string wal_dir;   // --wal-dir: the WAL's directory; empty: <data-dir>/member/wal
  std::vector<Url> listen_client_urls;
  std::vector<Url> advertise_client_urls;
  std::vector<Url> listen_peer_urls;
  std::vector<Url> initial_advertise_peer_urls;
  std::vector<Url> listen_metrics_urls;  // extra URLs serving /metrics and /health
  std::string metrics = "basic";         // "extensive" adds grpc_server_handling_seconds
  std::string initial_cluster;           // "name=url,name=url"
  std::string initial_cluster_state = "new";
  std::string initial_cluster_token = "etcd-cluster";
  // --discovery-srv: the DNS domain whose SRV records list the founding members
  // (server/srv_cluster.h), instead of --initial-cluster; --discovery-srv-name: the suffix of
  // the services looked up (_etcd-server-ssl-<name>._tcp.<domain>).
  std::string discovery_srv;
  std::string discovery_srv_name;
  // --discovery: etcd 3.4's v2 discovery URL (server/discovery.h): the founding members register
  // under its token and wait for _config/size of them, instead of --initial-cluster; it is also
  // the cluster token. --discovery-proxy: the HTTP proxy for it. --discovery-fallback: "exit",
  // or "proxy" (etcd's default: become a v2 proxy when the cluster is full; etcdpp has no v2
  // proxy and stops saying so).
  std::string discovery;
  std::string discovery_proxy;
  std::string discovery_fallback = "proxy";
  uint64_t max_request_bytes = 1572864;  // 1.5 MiB
  uint64_t max_txn_ops = 128;
  uint32_t max_concurrent_streams = UINT32_MAX;  // per client connection, and the gateway's
  int64_t quota_backend_bytes = 0;
  uint64_t heartbeat_interval_ms = 100;
  uint64_t election_timeout_ms = 1000;
  uint64_t snapshot_count = 100000;
  // Entries kept in the in-memory raft log behind a snapshot, for slow followers to catch up
  // without a snapshot (etcd's snapshotCatchUpEntries; --experimental-snapshot-catchup-entries).
  uint64_t snapshot_catchup_entries = 5000;
  uint64_t max_snapshots = 5;  // --max-snapshots: .snap files kept (0: unlimited)
  uint64_t max_wals = 5;       // --max-wals: WAL segments kept at least (0: unlimited)
  std::string log_level = "info";
  // --enable-pprof (or --debug, as etcd 3.4): /debug/pprof/ on the client port
  // (server/http/pprof.h).
  bool enable_pprof = false;
  int64_t backend_batch_interval_ms = 100;
  int64_t backend_batch_limit = 10000;
  bool unsafe_no_fsync = false;
  // --force-new-cluster: a restarted member drops every other member from the configuration
  // its WAL holds (etcd's restartAsStandaloneNode), to recover from a lost quorum.
  bool force_new_cluster = false;
  // --auth-token: "simple" or "jwt,pub-key=...,priv-key=...,sign-method=...,ttl=..." (the JWT
  // options are checked when the server starts); --auth-token-ttl (simple tokens, seconds);
  // --bcrypt-cost.
  std::string auth_token = "simple";
  uint64_t auth_token_ttl_seconds = 300;
  int bcrypt_cost = 10;
  // --cert-file, --key-file, --trusted-ca-file, --client-cert-auth, --client-crl-file,
  // --auto-tls (client_tls) and their --peer-* forms (peer_tls); tls::PrepareTls checks the
  // files, generates auto-TLS certificates and applies the cipher and version flags below.
  tls::TlsInfo client_tls;
  tls::TlsInfo peer_tls;
  std::vector<std::string> cipher_suites;  // Go names
  std::string tls_min_version;             // "TLS1.2" / "TLS1.3" (etcd 3.5+)
  std::string tls_max_version;
  // --enable-v2: serve etcd 3.4's v2 API (/v2/keys, /v2/members, /v2/stats) on the client port.
  bool enable_v2 = false;
  // --strict-reconfig-check: refuse member changes that could lose quorum (etcd's default).
  bool strict_reconfig_check = true;
  // --experimental-watch-progress-notify-interval (3.6: --watch-progress-notify-interval);
  // etcd raises values below 100ms to 100ms.
  int64_t watch_progress_notify_interval_ms = 10 * 60 * 1000;
  // --auto-compaction-mode ("periodic" or "revision") and --auto-compaction-retention, read as
  // etcd's parseCompactionRetention: a bare integer counts hours (periodic) or revisions
  // (revision); anything else is a Go duration (in revision mode its nanosecond count, as etcd
  // takes it). Both zero: no auto-compaction (docs/design/auto_compaction.md).
  std::string auto_compaction_mode = "periodic";
  absl::Duration auto_compaction_period = absl::ZeroDuration();  // periodic mode
  int64_t auto_compaction_revisions = 0;                         // revision mode
  // --experimental-initial-corrupt-check: a restarted member compares its HashKV with its
  // peers' before it serves clients and refuses to start on a mismatch;
  // --experimental-corrupt-check-time (3.5+: --corrupt-check-time), 0 = off: the leader
  // compares HashKVs with its followers' this often and raises CORRUPT on a mismatch
  // (corrupt_check.h).
  bool initial_corrupt_check = false;
  absl::Duration corrupt_check_time = absl::ZeroDuration();
  // --log-outputs (3.4: --log-output): "default" / "stderr", "stdout", or file paths.
  std::vector<std::string> log_outputs = {"default"};
  // --log-format (3.5+): "json" (zap's JSON lines, the default) or "console" (zap's text).
  std::string log_format = "json";
  // --config-file: the YAML file the configuration came from (flags and ETCD_* variables are
  // then ignored, as etcd does), empty if none.
  std::string config_file;
  // Said while parsing, logged once logging is set up (unknown ETCD_* variables, ...).
  std::vector<std::string> warnings;
  bool show_version = false;
  bool show_help = false;
};

// Parses argv (without argv[0]) and the environment (a list of "KEY=VALUE"). Errors carry the
// message etcd prints for the same mistake.
[[nodiscard]] absl::StatusOr<Config> ParseConfig(const std::vector<std::string>& args,
                                                 const std::vector<std::string>& environ);

// True for the flags of etcd that etcdpp honours; every other flag it knows is refused at
// start-up unless its value asks for what etcdpp does anyway (or, for --proxy-* and
// --discovery-fallback, acts only with a feature that is off).
bool IsImplementedFlag(const std::string& name);

// For a flag IsImplementedFlag refuses: one sentence saying which values etcdpp accepts and
// why (for `etcdpp --help`); empty for a flag etcdpp honours.
std::string FlagSupportNote(const std::string& name);

// Every flag name etcdpp knows (etcd 3.4-3.6's), sorted.
std::vector<std::string> KnownFlags();

// Parses "http://127.0.0.1:2379,http://..." into URLs.
[[nodiscard]] absl::StatusOr<std::vector<Url>> ParseUrls(const std::string& flag,
                                                         const std::string& list);

// etcd's ReqTimeout: 5 s for queueing, computation and disk, plus two election timeouts for a
// possible leader election.
std::chrono::milliseconds RequestTimeoutFor(int64_t election_timeout_ms);

}  // namespace etcdpp::server
