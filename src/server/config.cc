#include "server/config.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "server/flag_set.h"
#include "server/go_duration.h"

namespace etcdpp::server {
namespace {

// Every flag etcd 3.4-3.6 defines is accepted, so operators' unit files and e2e harnesses
// start unchanged; flags whose feature is not built yet are parsed and ignored.
const std::set<std::string>& ValueFlags() {
  static const std::set<std::string> kFlags = {
      "name",
      "data-dir",
      "wal-dir",
      "listen-client-urls",
      "advertise-client-urls",
      "listen-peer-urls",
      "initial-advertise-peer-urls",
      "listen-metrics-urls",
      "initial-cluster",
      "initial-cluster-state",
      "initial-cluster-token",
      "max-request-bytes",
      "max-txn-ops",
      "quota-backend-bytes",
      "heartbeat-interval",
      "election-timeout",
      "snapshot-count",
      "log-level",
      "logger",
      "log-output",
      "log-outputs",
      "log-package-levels",
      "backend-batch-interval",
      "backend-batch-limit",
      "auth-token",
      "auth-token-ttl",
      "auto-compaction-mode",
      "auto-compaction-retention",
      "bcrypt-cost",
      "cert-file",
      "key-file",
      "trusted-ca-file",
      "client-crl-file",
      "client-cert-allowed-hostname",
      "peer-cert-file",
      "peer-key-file",
      "peer-trusted-ca-file",
      "peer-crl-file",
      "peer-cert-allowed-cn",
      "peer-cert-allowed-hostname",
      "cipher-suites",
      "tls-min-version",
      "tls-max-version",
      "config-file",
      "discovery",
      "discovery-fallback",
      "discovery-proxy",
      "discovery-srv",
      "discovery-srv-name",
      "cors",
      "host-whitelist",
      "max-snapshots",
      "max-wals",
      "max-concurrent-streams",
      "metrics",
      "proxy",
      "proxy-dial-timeout",
      "proxy-failure-wait",
      "proxy-read-timeout",
      "proxy-refresh-interval",
      "proxy-write-timeout",
      "grpc-keepalive-interval",
      "grpc-keepalive-min-time",
      "grpc-keepalive-timeout",
      "experimental-backend-bbolt-freelist-type",
      "experimental-compaction-batch-limit",
      "experimental-corrupt-check-time",
      "experimental-enable-v2v3",
      "experimental-warning-apply-duration",
      "experimental-watch-progress-notify-interval",
      "experimental-compact-hash-check-time",
      "experimental-distributed-tracing-address",
      "experimental-distributed-tracing-service-name",
      "experimental-distributed-tracing-instance-id",
      "experimental-distributed-tracing-sampling-rate",
      "experimental-downgrade-check-time",
      "experimental-memory-mlock",
      "experimental-snapshot-catchup-entries",
      "experimental-wait-cluster-ready-timeout",
      "experimental-max-learners",
      "experimental-compaction-sleep-interval",
      "experimental-warning-unary-request-duration",
      "log-rotation-config-json",
      "listen-client-http-urls",
      "socket-reuse-port",
      "socket-reuse-address",
      "v2-deprecation",
      "self-signed-cert-validity",
      "max-learners",
      "snapshot-catchup-entries",
      "watch-progress-notify-interval",
      "warning-apply-duration",
      "warning-unary-request-duration",
      "corrupt-check-time",
      "compact-hash-check-time",
      "downgrade-check-time",
      "compaction-batch-limit",
      "compaction-sleep-interval",
      "bootstrap-defrag-threshold-megabytes",
  };
  return kFlags;
}

const std::set<std::string>& BoolFlags() {
  static const std::set<std::string> kFlags = {
      "auto-tls",
      "peer-auto-tls",
      "client-cert-auth",
      "peer-client-cert-auth",
      "debug",
      "enable-grpc-gateway",
      "enable-pprof",
      "enable-v2",
      "force-new-cluster",
      "initial-election-tick-advance",
      "pre-vote",
      "strict-reconfig-check",
      "unsafe-no-fsync",
      "version",
      "help",
      "h",
      "experimental-enable-lease-checkpoint",
      "experimental-enable-lease-checkpoint-persist",
      "experimental-initial-corrupt-check",
      "experimental-peer-skip-client-san-verification",
      "experimental-enable-distributed-tracing",
      "experimental-txn-mode-write-with-shared-buffer",
      "experimental-stop-grpc-service-on-defrag",
      "experimental-memory-mlock",
      "experimental-compact-hash-check-enabled",
      "experimental-enable-lease-checkpoint",
      "enable-log-rotation",
      "feature-gates",
  };
  return kFlags;
}

[[nodiscard]] absl::StatusOr<uint64_t> ParseUint(const std::string& flag, const std::string& v) {
  uint64_t out = 0;
  if (!absl::SimpleAtoi(v, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", v, "\" for flag -", flag, ": parse error"));
  }
  return out;
}

[[nodiscard]] absl::StatusOr<int64_t> ParseInt(const std::string& flag, const std::string& v) {
  int64_t out = 0;
  if (!absl::SimpleAtoi(v, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", v, "\" for flag -", flag, ": parse error"));
  }
  return out;
}

// Go durations as etcd's flags take them: "100ms", "1s", "2m"; a bare number is nanoseconds.
[[nodiscard]] absl::StatusOr<int64_t> ParseDurationMs(const std::string& flag,
                                                      const std::string& v) {
  absl::Duration d;
  if (!absl::ParseDuration(v, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", v, "\" for flag -", flag, ": parse error"));
  }
  return absl::ToInt64Milliseconds(d);
}

// --auto-compaction-mode and --auto-compaction-retention with etcd's messages (embed/config.go
// Validate, embed/etcd.go parseCompactionRetention, v3compactor.New). A negative duration is
// refused here; etcd 3.4 starts a compactor that spins on it (docs/compatibility.md).
[[nodiscard]] absl::Status ApplyAutoCompaction(const FlagSet& fs, Config* c) {
  if (fs.Has("auto-compaction-mode")) c->auto_compaction_mode = fs.Get("auto-compaction-mode");
  const std::string& mode = c->auto_compaction_mode;
  if (!mode.empty() && mode != "periodic" && mode != "revision") {
    return absl::InvalidArgumentError(absl::StrCat("unknown auto-compaction-mode \"", mode, "\""));
  }
  const std::string retention =
      fs.Has("auto-compaction-retention") ? fs.Get("auto-compaction-retention") : "0";
  absl::Duration d;
  if (int64_t n = 0; absl::SimpleAtoi(retention, &n) && n >= 0) {
    d = mode == "periodic"   ? absl::Hours(n)
        : mode == "revision" ? absl::Nanoseconds(n)
                             : absl::ZeroDuration();
  } else {
    absl::StatusOr<absl::Duration> parsed = ParseGoDuration(retention);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("error parsing CompactionRetention: ", parsed.status().message()));
    }
    d = *parsed;
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing CompactionRetention: negative retention \"", retention, "\""));
  }
  if (d == absl::ZeroDuration()) return absl::OkStatus();
  if (mode == "periodic") {
    c->auto_compaction_period = d;
  } else if (mode == "revision") {
    c->auto_compaction_revisions = absl::ToInt64Nanoseconds(d);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unsupported compaction mode ", mode));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::StatusOr<Url> ParseUrl(const std::string& flag, const std::string& s) {
  Url url;
  size_t sep = s.find("://");
  if (sep == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", s, "\" for flag -", flag,
                     ": URL scheme must be http, https, unix, or unixs: ", s));
  }
  url.scheme = std::string(s.substr(0, sep));
  std::string rest = s.substr(sep + 3);
  if (size_t slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  size_t colon = rest.rfind(':');
  if (url.scheme != "http" && url.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", s, "\" for flag -", flag,
                     ": URL scheme must be http, https, unix, or unixs: ", s));
  }
  if (colon == std::string::npos || !absl::SimpleAtoi(rest.substr(colon + 1), &url.port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", s, "\" for flag -", flag,
                     ": URL address does not have the form \"host:port\": ", s));
  }
  url.host = std::string(rest.substr(0, colon));
  if (url.host.size() >= 2 && url.host.front() == '[')
    url.host = url.host.substr(1, url.host.size() - 2);
  return url;
}

[[nodiscard]] absl::Status ApplyUrls(const FlagSet& fs, const std::string& flag,
                                     std::vector<Url>* out) {
  if (!fs.Has(flag)) return absl::OkStatus();
  ASSIGN_OR_RETURN(*out, ParseUrls(flag, fs.Get(flag)));
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyNumbers(const FlagSet& fs, Config* c) {
  if (fs.Has("max-request-bytes")) {
    ASSIGN_OR_RETURN(c->max_request_bytes,
                     ParseUint("max-request-bytes", fs.Get("max-request-bytes")));
  }
  if (fs.Has("max-concurrent-streams")) {
    ASSIGN_OR_RETURN(uint64_t v,
                     ParseUint("max-concurrent-streams", fs.Get("max-concurrent-streams")));
    c->max_concurrent_streams = static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
  }
  if (fs.Has("max-txn-ops")) {
    ASSIGN_OR_RETURN(c->max_txn_ops, ParseUint("max-txn-ops", fs.Get("max-txn-ops")));
  }
  if (fs.Has("quota-backend-bytes")) {
    ASSIGN_OR_RETURN(c->quota_backend_bytes,
                     ParseInt("quota-backend-bytes", fs.Get("quota-backend-bytes")));
  }
  if (fs.Has("heartbeat-interval")) {
    ASSIGN_OR_RETURN(c->heartbeat_interval_ms,
                     ParseUint("heartbeat-interval", fs.Get("heartbeat-interval")));
  }
  if (fs.Has("election-timeout")) {
    ASSIGN_OR_RETURN(c->election_timeout_ms,
                     ParseUint("election-timeout", fs.Get("election-timeout")));
  }
  if (fs.Has("snapshot-count")) {
    ASSIGN_OR_RETURN(c->snapshot_count, ParseUint("snapshot-count", fs.Get("snapshot-count")));
  }
  for (const char* flag : {"max-snapshots", "max-wals"}) {
    if (!fs.Has(flag)) continue;
    ASSIGN_OR_RETURN(uint64_t v, ParseUint(flag, fs.Get(flag)));
    (std::string(flag) == "max-wals" ? c->max_wals : c->max_snapshots) = v;
  }
  for (const char* flag : {"experimental-snapshot-catchup-entries", "snapshot-catchup-entries"}) {
    if (!fs.Has(flag)) continue;
    ASSIGN_OR_RETURN(c->snapshot_catchup_entries, ParseUint(flag, fs.Get(flag)));
  }
  if (fs.Has("backend-batch-interval")) {
    ASSIGN_OR_RETURN(c->backend_batch_interval_ms,
                     ParseDurationMs("backend-batch-interval", fs.Get("backend-batch-interval")));
  }
  for (const char* flag :
       {"experimental-watch-progress-notify-interval", "watch-progress-notify-interval"}) {
    if (!fs.Has(flag)) continue;
    ASSIGN_OR_RETURN(c->watch_progress_notify_interval_ms, ParseDurationMs(flag, fs.Get(flag)));
    c->watch_progress_notify_interval_ms =
        std::max<int64_t>(c->watch_progress_notify_interval_ms, 100);
  }
  for (const char* flag : {"experimental-corrupt-check-time", "corrupt-check-time"}) {
    if (!fs.Has(flag)) continue;
    absl::StatusOr<absl::Duration> d = ParseGoDuration(fs.Get(flag));
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value \"", fs.Get(flag), "\" for flag -", flag, ": parse error"));
    }
    c->corrupt_check_time = *d;
  }
  if (fs.Has("auth-token-ttl")) {
    ASSIGN_OR_RETURN(c->auth_token_ttl_seconds,
                     ParseUint("auth-token-ttl", fs.Get("auth-token-ttl")));
  }
  if (fs.Has("bcrypt-cost")) {
    ASSIGN_OR_RETURN(uint64_t cost, ParseUint("bcrypt-cost", fs.Get("bcrypt-cost")));
    // etcd: "invalid bcrypt-cost: ..." outside bcrypt's [4, 31].
    if (cost < 4 || cost > 31) {
      return absl::InvalidArgumentError(absl::StrCat("invalid bcrypt-cost: crypto/bcrypt: cost ",
                                                     cost, " is outside allowed range (4,31)"));
    }
    c->bcrypt_cost = static_cast<int>(cost);
  }
  if (fs.Has("auth-token")) {
    c->auth_token = fs.Get("auth-token");
    if (c->auth_token != "simple" && !absl::StartsWith(c->auth_token, "jwt")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown token type: ", c->auth_token, " (--auth-token takes simple or jwt,<options>)"));
    }
  }
  if (fs.Has("backend-batch-limit")) {
    ASSIGN_OR_RETURN(c->backend_batch_limit,
                     ParseInt("backend-batch-limit", fs.Get("backend-batch-limit")));
  }
  return absl::OkStatus();
}

bool IsTrue(const FlagSet& fs, const std::string& flag) { return fs.IsTrue(flag); }

// The certificate flags of one side: "" (client) or "peer-".
void ApplyTls(const FlagSet& fs, const std::string& p, tls::TlsInfo* t) {
  auto get = [&](const std::string& name, std::string* out) {
    if (fs.Has(name)) *out = fs.Get(name);
  };
  t->flag_prefix = p;
  get(p + "cert-file", &t->cert_file);
  get(p + "key-file", &t->key_file);
  get(p + "trusted-ca-file", &t->trusted_ca_file);
  get(p.empty() ? "client-crl-file" : "peer-crl-file", &t->crl_file);
  get(p + "cert-allowed-cn", &t->allowed_cn);
  get(p.empty() ? "client-cert-allowed-hostname" : "peer-cert-allowed-hostname",
      &t->allowed_hostname);
  t->client_cert_auth = IsTrue(fs, p + "client-cert-auth");
  t->auto_tls = IsTrue(fs, p + "auto-tls");
}

void ApplyStrings(const FlagSet& fs, Config* c) {
  if (fs.Has("name")) c->name = fs.Get("name");
  if (fs.Has("data-dir")) c->data_dir = fs.Get("data-dir");
  if (fs.Has("initial-cluster")) c->initial_cluster = fs.Get("initial-cluster");
  if (fs.Has("initial-cluster-state")) c->initial_cluster_state = fs.Get("initial-cluster-state");
  if (fs.Has("initial-cluster-token")) c->initial_cluster_token = fs.Get("initial-cluster-token");
  if (fs.Has("log-level")) c->log_level = fs.Get("log-level");
  if (fs.Has("metrics")) c->metrics = fs.Get("metrics");
  if (IsTrue(fs, "debug")) c->log_level = "debug";
  c->initial_corrupt_check = IsTrue(fs, "experimental-initial-corrupt-check");
  c->unsafe_no_fsync = IsTrue(fs, "unsafe-no-fsync");
  ApplyTls(fs, "", &c->client_tls);
  ApplyTls(fs, "peer-", &c->peer_tls);
  if (fs.Has("cipher-suites")) {
    c->cipher_suites = absl::StrSplit(fs.Get("cipher-suites"), ',', absl::SkipWhitespace());
  }
  if (fs.Has("tls-min-version")) c->tls_min_version = fs.Get("tls-min-version");
  if (fs.Has("tls-max-version")) c->tls_max_version = fs.Get("tls-max-version");
  if (fs.Has("strict-reconfig-check"))
    c->strict_reconfig_check = IsTrue(fs, "strict-reconfig-check");
  c->show_version = IsTrue(fs, "version");
  c->show_help = IsTrue(fs, "help") || IsTrue(fs, "h");
}

[[nodiscard]] absl::Status ApplyDefaults(Config* c) {
  auto defaults = [](std::vector<Url>* v, const char* url) -> absl::Status {
    if (!v->empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(*v, ParseUrls("default", url));
    return absl::OkStatus();
  };
  RETURN_NOT_OK(defaults(&c->listen_client_urls, "http://localhost:2379"));
  RETURN_NOT_OK(defaults(&c->advertise_client_urls, "http://localhost:2379"));
  RETURN_NOT_OK(defaults(&c->listen_peer_urls, "http://localhost:2380"));
  RETURN_NOT_OK(defaults(&c->initial_advertise_peer_urls, "http://localhost:2380"));
  if (c->data_dir.empty()) c->data_dir = c->name + ".etcd";
  if (c->initial_cluster.empty()) {
    for (const Url& u : c->initial_advertise_peer_urls) {
      if (!c->initial_cluster.empty()) c->initial_cluster += ",";
      c->initial_cluster += c->name + "=" + u.ToString();
    }
  }
  if (c->initial_cluster_state != "new" && c->initial_cluster_state != "existing") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", c->initial_cluster_state,
                     "\" for flag -initial-cluster-state: invalid value \"",
                     c->initial_cluster_state, "\" (valid values: \"new,existing\")"));
  }
  if (5 * c->heartbeat_interval_ms > c->election_timeout_ms) {
    return absl::InvalidArgumentError(
        absl::StrCat("--election-timeout[", c->election_timeout_ms,
                     "ms] should be at least as 5 times as --heartbeat-interval[",
                     c->heartbeat_interval_ms, "ms]"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Url::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat(scheme, "://", v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
}

[[nodiscard]] absl::StatusOr<std::vector<Url>> ParseUrls(const std::string& flag,
                                                         const std::string& list) {
  std::vector<Url> out;
  for (const std::string& part :
       std::vector<std::string>(absl::StrSplit(list, ',', absl::SkipWhitespace()))) {
    ASSIGN_OR_RETURN(Url u, ParseUrl(flag, part));
    out.push_back(std::move(u));
  }
  return out;
}

[[nodiscard]] absl::StatusOr<Config> ParseConfig(const std::vector<std::string>& args,
                                                 const std::vector<std::string>& environ) {
  FlagSet fs(ValueFlags(), BoolFlags());
  RETURN_NOT_OK(fs.Parse(args));
  RETURN_NOT_OK(fs.ApplyEnvironment(environ));
  Config c;
  ApplyStrings(fs, &c);
  RETURN_NOT_OK(ApplyNumbers(fs, &c));
  RETURN_NOT_OK(ApplyAutoCompaction(fs, &c));
  RETURN_NOT_OK(ApplyUrls(fs, "listen-client-urls", &c.listen_client_urls));
  RETURN_NOT_OK(ApplyUrls(fs, "advertise-client-urls", &c.advertise_client_urls));
  RETURN_NOT_OK(ApplyUrls(fs, "listen-peer-urls", &c.listen_peer_urls));
  RETURN_NOT_OK(ApplyUrls(fs, "initial-advertise-peer-urls", &c.initial_advertise_peer_urls));
  RETURN_NOT_OK(ApplyUrls(fs, "listen-metrics-urls", &c.listen_metrics_urls));
  RETURN_NOT_OK(ApplyDefaults(&c));
  return c;
}

std::chrono::milliseconds RequestTimeoutFor(int64_t election_timeout_ms) {
  return std::chrono::milliseconds(5000 + 2 * election_timeout_ms);
}

}  // namespace etcdpp::server
