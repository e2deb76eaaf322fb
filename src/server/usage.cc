#include "server/usage.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/config.h"

namespace etcdpp::server {
namespace {

struct FlagHelp {
  const char* flag;
  const char* default_value;  // as etcd prints it, quotes included where etcd quotes it
  const char* text;           // one or more lines, each printed indented by four spaces
};

struct Section {
  const char* title;
  std::vector<FlagHelp> flags;
};

// etcd 3.4's `etcd --help` sections and order, with the 3.5/3.6 flags etcdpp also knows placed
// in the section etcd 3.6 puts them in. Defaults are etcdpp's (they equal etcd 3.6's).
const std::vector<Section>& Sections() {
  static const std::vector<Section> kSections = {
      {"Member",
       {
           {"name", "'default'", "Human-readable name for this member."},
           {"data-dir", "'${name}.etcd'", "Path to the data directory."},
           {"wal-dir", "''", "Path to the dedicated wal directory."},
           {"snapshot-count", "'100000'",
            "Number of committed transactions to trigger a snapshot to disk."},
           {"heartbeat-interval", "'100'", "Time (in milliseconds) of a heartbeat interval."},
           {"election-timeout", "'1000'",
            "Time (in milliseconds) for an election to timeout. See tuning documentation for "
            "details."},
           {"initial-election-tick-advance", "'true'",
            "Whether to fast-forward initial election ticks on boot for faster election."},
           {"listen-peer-urls", "'http://localhost:2380'",
            "List of URLs to listen on for peer traffic."},
           {"listen-client-urls", "'http://localhost:2379'",
            "List of URLs to listen on for client traffic."},
           {"listen-client-http-urls", "''",
            "List of URLs to listen on for http only client traffic. Enabling this flag "
            "removes http services from --listen-client-urls."},
           {"max-snapshots", "'5'", "Maximum number of snapshot files to retain (0 is unlimited)."},
           {"max-wals", "'5'", "Maximum number of wal files to retain (0 is unlimited)."},
           {"quota-backend-bytes", "'0'",
            "Raise alarms when backend size exceeds the given quota (0 defaults to low space "
            "quota)."},
           {"backend-batch-interval", "''",
            "BackendBatchInterval is the maximum time before commit the backend transaction."},
           {"backend-batch-limit", "'0'",
            "BackendBatchLimit is the maximum operations before commit the backend transaction."},
           {"max-txn-ops", "'128'", "Maximum number of operations permitted in a transaction."},
           {"max-request-bytes", "'1572864'",
            "Maximum client request size in bytes the server will accept."},
           {"max-concurrent-streams", "'math.MaxUint32'",
            "Maximum concurrent streams that each client can open at a time."},
           {"grpc-keepalive-min-time", "'5s'",
            "Minimum duration interval that a client should wait before pinging server."},
           {"grpc-keepalive-interval", "'2h'",
            "Frequency duration of server-to-client ping to check if a connection is alive (0 "
            "to disable)."},
           {"grpc-keepalive-timeout", "'20s'",
            "Additional duration of wait before closing a non-responsive connection (0 to "
            "disable)."},
           {"socket-reuse-port", "'false'",
            "Enable to set socket option SO_REUSEPORT on listeners allowing rebinding of a port "
            "already in use."},
           {"socket-reuse-address", "'false'",
            "Enable to set socket option SO_REUSEADDR on listeners allowing binding to an "
            "address in TIME_WAIT state."},
           {"unsafe-no-fsync", "'false'", "Disables fsync, unsafe, will cause data loss."},
       }},
      {"Clustering",
       {
           {"initial-advertise-peer-urls", "'http://localhost:2380'",
            "List of this member's peer URLs to advertise to the rest of the cluster."},
           {"initial-cluster", "'default=http://localhost:2380'",
            "Initial cluster configuration for bootstrapping."},
           {"initial-cluster-state", "'new'", "Initial cluster state ('new' or 'existing')."},
           {"initial-cluster-token", "'etcd-cluster'",
            "Initial cluster token for the etcd cluster during bootstrap.\n"
            "Specifying this can protect you from unintended cross-cluster interaction when "
            "running multiple clusters."},
           {"advertise-client-urls", "'http://localhost:2379'",
            "List of this member's client URLs to advertise to the public.\n"
            "The client URLs advertised should be accessible to machines that talk to etcd "
            "cluster. etcd client libraries parse these URLs to connect to the cluster."},
           {"discovery", "''", "Discovery URL used to bootstrap the cluster."},
           {"discovery-fallback", "'proxy'",
            "Expected behavior ('exit' or 'proxy') when discovery services fails.\n"
            "\"proxy\" supports v2 API only."},
           {"discovery-proxy", "''", "HTTP proxy to use for traffic to discovery service."},
           {"discovery-srv", "''", "DNS srv domain used to bootstrap the cluster."},
           {"discovery-srv-name", "''", "Suffix to the dns srv name queried when bootstrapping."},
           {"strict-reconfig-check", "'true'",
            "Reject reconfiguration requests that would cause quorum loss."},
           {"pre-vote", "'true'",
            "Enable the raft Pre-Vote algorithm to prevent disruption when "
            "a node that has been partitioned away rejoins the cluster."},
           {"auto-compaction-retention", "'0'",
            "Auto compaction retention length. 0 means disable auto compaction."},
           {"auto-compaction-mode", "'periodic'",
            "Interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for "
            "duration based retention, defaulting to hours if no time unit is provided (e.g. "
            "'5m'). 'revision' for revision number based retention."},
           {"enable-v2", "'false'", "Accept etcd V2 client requests."},
           {"v2-deprecation", "'not-yet'",
            "Phase of v2store deprecation. Allows to opt-in for higher compatibility mode."},
       }},
      {"Security",
       {
           {"cert-file", "''", "Path to the client server TLS cert file."},
           {"key-file", "''", "Path to the client server TLS key file."},
           {"client-cert-auth", "'false'", "Enable client cert authentication."},
           {"client-crl-file", "''", "Path to the client certificate revocation list file."},
           {"client-cert-allowed-hostname", "''",
            "Allowed TLS hostname for client cert authentication."},
           {"trusted-ca-file", "''", "Path to the client server TLS trusted CA cert file."},
           {"auto-tls", "'false'", "Client TLS using generated certificates."},
           {"peer-cert-file", "''", "Path to the peer server TLS cert file."},
           {"peer-key-file", "''", "Path to the peer server TLS key file."},
           {"peer-client-cert-auth", "'false'", "Enable peer client cert authentication."},
           {"peer-trusted-ca-file", "''", "Path to the peer server TLS trusted CA file."},
           {"peer-cert-allowed-cn", "''",
            "Required CN for client certs connecting to the peer endpoint."},
           {"peer-cert-allowed-hostname", "''",
            "Allowed TLS hostname for inter peer authentication."},
           {"peer-auto-tls", "'false'",
            "Peer TLS using self-generated certificates if --peer-key-file and --peer-cert-file "
            "are not provided."},
           {"self-signed-cert-validity", "'1'",
            "The validity period of the client and peer certificates that are automatically "
            "generated by etcd when you specify ClientAutoTLS and PeerAutoTLS, the unit is "
            "year, and the default is 1."},
           {"peer-crl-file", "''", "Path to the peer certificate revocation list file."},
           {"cipher-suites", "''",
            "Comma-separated list of supported TLS cipher suites between client/server and "
            "peers (empty will be auto-populated by Go)."},
           {"tls-min-version", "'TLS1.2'",
            "Minimum TLS version supported by etcd. Possible values: TLS1.2, TLS1.3."},
           {"tls-max-version", "''",
            "Maximum TLS version supported by etcd. Possible values: TLS1.2, TLS1.3 (empty "
            "will be auto-populated by Go)."},
           {"cors", "'*'",
            "Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, "
            "(empty or * means allow all)."},
           {"host-whitelist", "'*'",
            "Acceptable hostnames from HTTP client requests, if server is not secure (empty or "
            "* means allow all)."},
       }},
      {"Auth",
       {
           {"auth-token", "'simple'",
            "Specify a v3 authentication token type and its options ('simple' or 'jwt')."},
           {"bcrypt-cost", "10",
            "Specify the cost / strength of the bcrypt algorithm for hashing auth passwords. "
            "Valid values are between 4 and 31."},
           {"auth-token-ttl", "300", "Time (in seconds) of the auth-token-ttl."},
       }},
      {"Profiling and Monitoring",
       {
           {"enable-pprof", "'false'",
            "Enable runtime profiling data via HTTP server. Address is at client URL + "
            "\"/debug/pprof/\""},
           {"metrics", "'basic'",
            "Set level of detail for exported metrics, specify 'extensive' to include histogram "
            "metrics."},
           {"listen-metrics-urls", "''",
            "List of URLs to listen on for the metrics and health endpoints."},
           {"enable-grpc-gateway", "'true'", "Enable GRPC gateway."},
       }},
      {"Logging",
       {
           {"logger", "'zap'", "Currently only supports 'zap' for structured logging."},
           {"log-outputs", "'default'",
            "Specify 'stdout' or 'stderr' to skip journald logging even when running under "
            "systemd, or list of comma separated output targets."},
           {"log-output", "'default'", "Deprecated (etcd 3.4): use --log-outputs."},
           {"log-level", "'info'",
            "Configures log level. Only supports debug, info, warn, error, panic, or fatal."},
           {"log-format", "'json'", "Configures log format. Only supports json, console."},
           {"enable-log-rotation", "'false'",
            "Enable log rotation of a single log-outputs file target."},
           {"log-rotation-config-json",
            "'{\"maxsize\": 100, \"maxage\": 0, \"maxbackups\": 0, "
            "\"localtime\": false, \"compress\": false}'",
            "Configures log rotation if enabled with a JSON logger config. MaxSize(MB), "
            "MaxAge(days,0=no limit), MaxBackups(0=no limit), LocalTime(use computers local "
            "time), Compress(gzip)"},
       }},
      {"v2 Proxy (to be deprecated in v4)",
       {
           {"proxy", "'off'", "Proxy mode setting ('off', 'readonly' or 'on')."},
           {"proxy-failure-wait", "5000",
            "Time (in milliseconds) an endpoint will be held in a failed state."},
           {"proxy-refresh-interval", "30000",
            "Time (in milliseconds) of the endpoints refresh interval."},
           {"proxy-dial-timeout", "1000", "Time (in milliseconds) for a dial to timeout."},
           {"proxy-write-timeout", "5000", "Time (in milliseconds) for a write to timeout."},
           {"proxy-read-timeout", "0", "Time (in milliseconds) for a read to timeout."},
       }},
      {"Experimental feature",
       {
           {"experimental-initial-corrupt-check", "'false'",
            "Enable to check data corruption before serving any client/peer traffic."},
           {"experimental-corrupt-check-time", "'0s'",
            "Duration of time between cluster corruption check passes."},
           {"corrupt-check-time", "'0s'",
            "Duration of time between cluster corruption check passes (3.6's name)."},
           {"experimental-compact-hash-check-enabled", "'false'",
            "Enable leader to periodically check followers compaction hashes."},
           {"experimental-compact-hash-check-time", "'1m'",
            "Duration of time between leader checks followers compaction hashes."},
           {"compact-hash-check-time", "'1m'",
            "Duration of time between leader checks followers compaction hashes (3.6's name)."},
           {"experimental-enable-v2v3", "''",
            "Serve v2 requests through the v3 backend under a given prefix."},
           {"experimental-backend-bbolt-freelist-type", "'array'",
            "ExperimentalBackendFreelistType specifies the type of freelist that boltdb backend "
            "uses(array and map are supported types)."},
           {"experimental-enable-lease-checkpoint", "'false'",
            "ExperimentalEnableLeaseCheckpoint enables primary lessor to persist lease "
            "remainingTTL to prevent indefinite auto-renewal of long lived leases."},
           {"experimental-enable-lease-checkpoint-persist", "'false'",
            "Enable persisting remainingTTL to prevent indefinite auto-renewal of long lived "
            "leases. Always enabled in v3.6."},
           {"experimental-compaction-batch-limit", "1000",
            "ExperimentalCompactionBatchLimit sets the maximum revisions deleted in each "
            "compaction batch."},
           {"compaction-batch-limit", "1000",
            "Sets the maximum revisions deleted in each compaction batch (3.6's name)."},
           {"experimental-compaction-sleep-interval", "'10ms'",
            "Sets the sleep interval between each compaction batch."},
           {"compaction-sleep-interval", "'10ms'",
            "Sets the sleep interval between each compaction batch (3.6's name)."},
           {"experimental-peer-skip-client-san-verification", "'false'",
            "Skip verification of SAN field in client certificate for peer connections."},
           {"experimental-watch-progress-notify-interval", "'10m'",
            "Duration of periodical watch progress notification."},
           {"watch-progress-notify-interval", "'10m'",
            "Duration of periodical watch progress notification (3.6's name)."},
           {"experimental-warning-apply-duration", "'100ms'",
            "Warning is generated if requests take more than this duration."},
           {"warning-apply-duration", "'100ms'",
            "Warning is generated if requests take more than this duration (3.6's name)."},
           {"experimental-warning-unary-request-duration", "'300ms'",
            "Time duration after which a warning is generated if a unary request takes more "
            "time."},
           {"warning-unary-request-duration", "'300ms'",
            "Time duration after which a warning is generated if a unary request takes more "
            "time (3.6's name)."},
           {"experimental-txn-mode-write-with-shared-buffer", "'true'",
            "Enable the write transaction to use a shared buffer in its readonly check "
            "operations."},
           {"experimental-snapshot-catchup-entries", "5000",
            "Number of entries for a slow follower to catch up after compacting the raft "
            "storage entries."},
           {"snapshot-catchup-entries", "5000",
            "Number of entries for a slow follower to catch up after compacting the raft "
            "storage entries (3.6's name)."},
           {"experimental-max-learners", "1",
            "Sets the maximum number of learners that can be available in the cluster "
            "membership."},
           {"max-learners", "1",
            "Sets the maximum number of learners that can be available in the cluster "
            "membership (3.6's name)."},
           {"experimental-wait-cluster-ready-timeout", "'5s'",
            "Maximum duration to wait for the cluster to be ready."},
           {"experimental-downgrade-check-time", "'5s'",
            "Duration of time between two downgrade status checks."},
           {"downgrade-check-time", "'5s'",
            "Duration of time between two downgrade status checks (3.6's name)."},
           {"experimental-memory-mlock", "'false'",
            "Enable to enforce etcd pages (in particular bbolt) to stay in RAM."},
           {"experimental-stop-grpc-service-on-defrag", "'false'",
            "Enable etcd gRPC service to stop serving client requests on defragmentation."},
           {"experimental-enable-distributed-tracing", "'false'",
            "Enable experimental distributed tracing using OpenTelemetry Tracing."},
           {"experimental-distributed-tracing-address", "'localhost:4317'",
            "Address for distributed tracing used for OpenTelemetry Tracing (if enabled with "
            "experimental-enable-distributed-tracing flag)."},
           {"experimental-distributed-tracing-service-name", "'etcd'",
            "Configures service name for distributed tracing to be used to define service name "
            "for OpenTelemetry Tracing (if enabled with experimental-enable-distributed-tracing "
            "flag). 'etcd' is the default service name. Use the same service name for all "
            "instances of etcd."},
           {"experimental-distributed-tracing-instance-id", "''",
            "Configures service instance ID for distributed tracing to be used to define "
            "service instance ID key for OpenTelemetry Tracing (if enabled with "
            "experimental-enable-distributed-tracing flag). There is no default value set. "
            "This ID must be unique per etcd instance."},
           {"experimental-distributed-tracing-sampling-rate", "'0'",
            "Number of samples to collect per million spans for OpenTelemetry Tracing (if "
            "enabled with experimental-enable-distributed-tracing flag)."},
           {"bootstrap-defrag-threshold-megabytes", "0",
            "Enable the defrag during etcd server bootstrap on condition that it will free at "
            "least the provided threshold of disk space. Needs to be set to non-zero value to "
            "take effect."},
           {"feature-gates", "''",
            "A set of key=value pairs that describe server level feature gates for alpha/"
            "experimental features."},
       }},
      {"Unsafe feature",
       {
           {"force-new-cluster", "'false'", "Force to create a new one-member cluster."},
       }},
  };
  return kSections;
}

// Printed after the "Unsafe feature" section, as etcd does.
const std::vector<FlagHelp>& Deprecated() {
  static const std::vector<FlagHelp> kFlags = {
      {"debug", "'false'",
       "Enable debug-level logging for etcd. [WARN] Will be deprecated in v3.5. Use "
       "'--log-level=debug' instead."},
      {"log-package-levels", "''",
       "Specify a particular log level for each etcd package (eg: "
       "'etcdmain=CRITICAL,etcdserver=DEBUG')."},
  };
  return kFlags;
}

void AppendFlag(const FlagHelp& f, std::string* out) {
  absl::StrAppend(out, "  --", f.flag, " ", f.default_value, "\n");
  for (absl::string_view line : absl::StrSplit(f.text, '\n')) {
    absl::StrAppend(out, "    ", line, "\n");
  }
  const std::string note = FlagSupportNote(f.flag);
  if (!note.empty()) absl::StrAppend(out, "    [etcdpp] ", note, "\n");
}

}  // namespace

std::string ServerUsage() {
  std::string out = R"(Usage:

  etcdpp [flags]
    Start an etcd server.

  etcdpp --version
    Show the version of etcd.

  etcdpp -h | --help
    Show the help information about etcd.

  etcdpp --config-file
    Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.

  etcdpp gateway
    Run the stateless pass-through etcd TCP connection forwarding proxy.

  etcdpp grpc-proxy
    Run the stateless etcd v3 gRPC L7 reverse proxy.

)";
  for (const Section& s : Sections()) {
    absl::StrAppend(&out, "\n", s.title, ":\n");
    for (const FlagHelp& f : s.flags) AppendFlag(f, &out);
  }
  absl::StrAppend(&out,
                  "\nCAUTIOUS with unsafe flag! It may break the guarantees given by the "
                  "consensus protocol!\n\nTO BE DEPRECATED:\n\n");
  for (const FlagHelp& f : Deprecated()) AppendFlag(f, &out);
  return out;
}

std::vector<std::string> UsageFlags() {
  std::vector<std::string> out;
  for (const Section& s : Sections()) {
    for (const FlagHelp& f : s.flags) out.push_back(f.flag);
  }
  for (const FlagHelp& f : Deprecated()) out.push_back(f.flag);
  return out;
}

}  // namespace etcdpp::server
