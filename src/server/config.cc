#include "server/config.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "server/flag_set.h"
#include "server/go_duration.h"
#include "yaml-cpp/yaml.h"

namespace etcdpp::server {
namespace {

// Every flag etcd 3.4-3.6 defines is known, so operators' unit files and e2e harnesses parse;
// a flag whose feature is not built is refused at start-up unless its value asks for what
// etcdpp does anyway (kUnsupported below). None is silently ignored.
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
      "log-format",
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
      "feature-gates",
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
  };
  return kFlags;
}

// The flags etcd has and etcdpp does not implement, with the values that ask for nothing beyond
// what etcdpp does (an empty list: no value is accepted; the flag must not be given). Any other
// value stops start-up with a message naming the flag.
struct Unsupported {
  const char* flag;
  std::vector<std::string> accepted;
  const char* what;
};
const std::vector<Unsupported>& UnsupportedFlags() {
  static const std::vector<Unsupported> kFlags = {
      {"enable-grpc-gateway", {"true"}, "turning the JSON gateway off (it is always served)"},
      {"pre-vote", {"true"}, "turning pre-vote off (it is always on)"},
      {"initial-election-tick-advance", {"true"}, "turning the election tick advance off"},
      {"experimental-enable-lease-checkpoint",
       {"true"},
       "turning lease checkpoints off (they are always on)"},
      {"experimental-enable-lease-checkpoint-persist", {"false", "true"}, ""},
      {"experimental-txn-mode-write-with-shared-buffer", {"false", "true"}, ""},
      {"logger", {"zap"}, "a logger other than zap's"},
      {"log-package-levels", {""}, "per-package log levels (capnslog)"},
      {"experimental-backend-bbolt-freelist-type",
       {""},
       "bbolt's freelist type (the backend is LMDB)"},
      {"experimental-compaction-batch-limit", {""}, "the compaction batch limit"},
      {"compaction-batch-limit", {""}, "the compaction batch limit"},
      {"experimental-compaction-sleep-interval", {""}, "the compaction sleep interval"},
      {"compaction-sleep-interval", {""}, "the compaction sleep interval"},
      {"experimental-enable-v2v3", {""}, "the v2 API on the v3 store"},
      {"experimental-warning-apply-duration", {""}, "slow-apply warnings"},
      {"warning-apply-duration", {""}, "slow-apply warnings"},
      {"experimental-warning-unary-request-duration", {""}, "slow-request warnings"},
      {"warning-unary-request-duration", {""}, "slow-request warnings"},
      {"experimental-compact-hash-check-time", {""}, "the compaction hash check"},
      {"compact-hash-check-time", {""}, "the compaction hash check"},
      {"experimental-compact-hash-check-enabled", {"false"}, "the compaction hash check"},
      {"experimental-enable-distributed-tracing", {"false"}, "distributed tracing"},
      {"experimental-distributed-tracing-address", {""}, "distributed tracing"},
      {"experimental-distributed-tracing-service-name", {""}, "distributed tracing"},
      {"experimental-distributed-tracing-instance-id", {""}, "distributed tracing"},
      {"experimental-distributed-tracing-sampling-rate", {""}, "distributed tracing"},
      {"experimental-downgrade-check-time", {""}, "downgrades"},
      {"downgrade-check-time", {""}, "downgrades"},
      {"experimental-memory-mlock", {"false"}, "locking the process's memory"},
      {"experimental-wait-cluster-ready-timeout", {""}, "the cluster-ready wait timeout"},
      {"experimental-max-learners", {""}, "a learner limit"},
      {"max-learners", {""}, "a learner limit"},
      {"experimental-peer-skip-client-san-verification",
       {"false"},
       "skipping the peer certificates' SAN check"},
      {"experimental-stop-grpc-service-on-defrag",
       {"false"},
       "stopping the gRPC service during defragmentation (it keeps serving)"},
      {"enable-log-rotation", {"false"}, "log rotation"},
      {"log-rotation-config-json", {""}, "log rotation"},
      {"listen-client-http-urls", {""}, "separate HTTP client URLs"},
      {"socket-reuse-port", {"", "false"}, "SO_REUSEPORT"},
      {"socket-reuse-address", {"", "false"}, "SO_REUSEADDR"},
      {"v2-deprecation", {""}, "the v2 deprecation stages"},
      {"self-signed-cert-validity", {""}, "the validity of auto-TLS certificates"},
      {"bootstrap-defrag-threshold-megabytes", {""}, "defragmentation at start-up"},
      {"feature-gates", {""}, "feature gates"},
      {"cors", {""}, "CORS origins (the v2 API)"},
      {"host-whitelist", {"", "*"}, "a host whitelist"},
      {"proxy", {"", "off"}, "the v2 proxy"},
      {"grpc-keepalive-interval", {""}, "gRPC keepalive settings"},
      {"grpc-keepalive-min-time", {""}, "gRPC keepalive settings"},
      {"grpc-keepalive-timeout", {""}, "gRPC keepalive settings"},
  };
  return kFlags;
}

// Not in the table: --proxy-* act only with the v2 proxy on, which --proxy above refuses; with it
// off, etcd ignores them too.

[[nodiscard]] absl::Status CheckSupported(const FlagSet& fs) {
  for (const Unsupported& u : UnsupportedFlags()) {
    if (!fs.Has(u.flag)) continue;
    const std::string& v = fs.Get(u.flag);
    if (std::find(u.accepted.begin(), u.accepted.end(), v) != u.accepted.end()) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        "--", u.flag, "=", v, " is not supported by etcdpp (", u.what, " is not built)"));
  }
  return absl::OkStatus();
}

// --log-outputs / --log-output: "default" (stderr), "stderr", "stdout", "systemd/journal", or
// file paths. --log-format: json or console. --log-level: zap's levels.
[[nodiscard]] absl::Status ApplyLogging(const FlagSet& fs, Config* c) {
  for (const char* flag : {"log-output", "log-outputs"}) {
    if (!fs.Has(flag)) continue;
    c->log_outputs = absl::StrSplit(fs.Get(flag), ',', absl::SkipWhitespace());
    if (c->log_outputs.empty()) c->log_outputs = {"default"};
  }
  if (fs.Has("log-format")) c->log_format = fs.Get("log-format");
  if (c->log_format.empty()) c->log_format = "json";
  if (c->log_format != "json" && c->log_format != "console") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format: ", c->log_format, ", supported values json, console"));
  }
  static const std::set<std::string> kLevels = {"debug",  "info",  "warn", "error",
                                                "dpanic", "panic", "fatal"};
  if (kLevels.count(c->log_level) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log level \"", c->log_level,
                     "\" for --log-level (debug, info, warn, error, dpanic, panic, fatal)"));
  }
  return absl::OkStatus();
}

// --config-file: etcd's YAML keys are its flag names; the two transport security blocks hold
// the TLS flags of each side. Sequences are comma-joined, null values are unset.
[[nodiscard]] absl::Status LoadConfigFile(const std::string& path, FlagSet* fs) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the config file ", path));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path, " is not valid YAML: ", e.what()));
  }
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, " is not a YAML map"));
  }
  auto scalar = [&](const std::string& key, const YAML::Node& n, std::string* out) -> absl::Status {
    if (n.IsScalar()) {
      *out = n.Scalar();
      return absl::OkStatus();
    }
    if (n.IsSequence()) {
      std::vector<std::string> parts;
      for (const YAML::Node& e : n) {
        if (!e.IsScalar()) break;
        parts.push_back(e.Scalar());
      }
      if (parts.size() == n.size()) {
        *out = absl::StrJoin(parts, ",");
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path, ": key \"", key, "\" has a value of the wrong type"));
  };
  const std::string where = absl::StrCat("config file ", path);
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& value = kv.second;
    if (value.IsNull()) continue;
    if (key == "client-transport-security" || key == "peer-transport-security") {
      if (!value.IsMap()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": key \"", key, "\" must be a map"));
      }
      const bool peer = key == "peer-transport-security";
      for (const auto& sub : value) {
        const std::string k = sub.first.as<std::string>();
        if (sub.second.IsNull()) continue;
        std::string flag;
        if (k == "cert-file" || k == "key-file" || k == "trusted-ca-file" || k == "auto-tls" ||
            k == "client-cert-auth") {
          flag = (peer ? "peer-" : "") + k;
        } else if (k == "crl-file") {
          flag = peer ? "peer-crl-file" : "client-crl-file";
        } else if (k == "allowed-cn" && peer) {
          flag = "peer-cert-allowed-cn";
        } else if (k == "allowed-hostname") {
          flag = peer ? "peer-cert-allowed-hostname" : "client-cert-allowed-hostname";
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": unknown key \"", key, ".", k, "\""));
        }
        std::string v;
        RETURN_NOT_OK(scalar(absl::StrCat(key, ".", k), sub.second, &v));
        RETURN_NOT_OK(fs->Set(flag, v, where));
      }
      continue;
    }
    if (key == "config-file" || key == "help" || key == "h" || key == "version") {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key \"", key, "\""));
    }
    std::string v;
    RETURN_NOT_OK(scalar(key, value, &v));
    RETURN_NOT_OK(fs->Set(key, v, where));
  }
  return absl::OkStatus();
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
  if (url.scheme != "http" && url.scheme != "https" && url.scheme != "unix" &&
      url.scheme != "unixs") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", s, "\" for flag -", flag,
                     ": URL scheme must be http, https, unix, or unixs: ", s));
  }
  // Unix sockets (the socket file is the URL's host:port, as etcd names it): plaintext peer
  // URLs only.
  const bool peer = flag == "listen-peer-urls" || flag == "initial-advertise-peer-urls";
  if (url.scheme == "unixs" || (url.scheme == "unix" && !peer)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", s, ": ", url.scheme,
        " URLs are not supported by etcdpp (unix:// sockets are, for peer URLs only)"));
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
  if (fs.Has("wal-dir")) c->wal_dir = fs.Get("wal-dir");
  if (fs.Has("initial-cluster")) c->initial_cluster = fs.Get("initial-cluster");
  if (fs.Has("initial-cluster-state")) c->initial_cluster_state = fs.Get("initial-cluster-state");
  if (fs.Has("initial-cluster-token")) c->initial_cluster_token = fs.Get("initial-cluster-token");
  if (fs.Has("discovery")) c->discovery = fs.Get("discovery");
  if (fs.Has("discovery-proxy")) c->discovery_proxy = fs.Get("discovery-proxy");
  if (fs.Has("discovery-fallback")) c->discovery_fallback = fs.Get("discovery-fallback");
  if (fs.Has("discovery-srv")) c->discovery_srv = fs.Get("discovery-srv");
  if (fs.Has("discovery-srv-name")) c->discovery_srv_name = fs.Get("discovery-srv-name");
  if (fs.Has("log-level")) c->log_level = fs.Get("log-level");
  if (fs.Has("metrics")) c->metrics = fs.Get("metrics");
  if (IsTrue(fs, "debug")) c->log_level = "debug";
  c->enable_pprof = IsTrue(fs, "enable-pprof") || IsTrue(fs, "debug");
  c->initial_corrupt_check = IsTrue(fs, "experimental-initial-corrupt-check");
  c->unsafe_no_fsync = IsTrue(fs, "unsafe-no-fsync");
  c->force_new_cluster = IsTrue(fs, "force-new-cluster");
  c->enable_v2 = IsTrue(fs, "enable-v2");
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
  // As etcd: with DNS discovery asked for, no default --initial-cluster is made up (on the
  // command line --discovery-srv-name alone does it too; a config file's initial-cluster equal
  // to etcd's default counts as unset); one given is a conflict.
  const bool from_file = !c->config_file.empty();
  const bool dns = !c->discovery_srv.empty() || (!from_file && !c->discovery_srv_name.empty());
  const bool discovery = dns || !c->discovery.empty();
  if (discovery && from_file && c->initial_cluster == "default=http://localhost:2380") {
    c->initial_cluster.clear();
  }
  if (static_cast<int>(!c->discovery_srv.empty()) + static_cast<int>(!c->discovery.empty()) +
          static_cast<int>(!c->initial_cluster.empty()) >
      1) {
    return absl::InvalidArgumentError(
        "multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", "
        "\"discovery\" or \"discovery-srv\"");
  }
  if (c->initial_cluster.empty() && !discovery) {
    for (const Url& u : c->initial_advertise_peer_urls) {
      if (!c->initial_cluster.empty()) c->initial_cluster += ",";
      c->initial_cluster += c->name + "=" + u.ToString();
    }
  }
  if (c->discovery_fallback != "exit" && c->discovery_fallback != "proxy") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", c->discovery_fallback,
                     "\" for flag -discovery-fallback: invalid value"));
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
  constexpr int64_t kMaxElectionMs = 50000;  // etcd's maxElectionMs
  if (c->election_timeout_ms > kMaxElectionMs) {
    return absl::InvalidArgumentError(absl::StrCat("--election-timeout[", c->election_timeout_ms,
                                                   "ms] is too long, and should be set less than ",
                                                   kMaxElectionMs, "ms"));
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
  FlagSet cmdline(ValueFlags(), BoolFlags());
  RETURN_NOT_OK(cmdline.Parse(args));
  std::vector<std::string> unknown_env;
  RETURN_NOT_OK(cmdline.ApplyEnvironment(environ, &unknown_env));
  Config c;
  for (const std::string& kv : unknown_env) {
    c.warnings.push_back(absl::StrCat("unrecognized environment variable ", kv));
  }
  // As etcd: a config file replaces every other flag and variable.
  FlagSet from_file(ValueFlags(), BoolFlags());
  const bool use_file = cmdline.Has("config-file") && !cmdline.Get("config-file").empty();
  if (use_file) {
    c.config_file = cmdline.Get("config-file");
    RETURN_NOT_OK(LoadConfigFile(c.config_file, &from_file));
    c.warnings.push_back(absl::StrCat(
        "loaded server configuration from ", c.config_file,
        "; other configuration command line flags and environment variables will be ignored if "
        "provided"));
  }
  const FlagSet& fs = use_file ? from_file : cmdline;
  RETURN_NOT_OK(CheckSupported(fs));
  ApplyStrings(fs, &c);
  if (use_file) {
    c.show_version = IsTrue(cmdline, "version");
    c.show_help = IsTrue(cmdline, "help") || IsTrue(cmdline, "h");
  }
  RETURN_NOT_OK(ApplyLogging(fs, &c));
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

std::string FlagSupportNote(const std::string& name) {
  if (absl::StartsWith(name, "proxy-")) {
    return "Acts only with the v2 proxy, which etcdpp does not support.";
  }
  for (const Unsupported& u : UnsupportedFlags()) {
    if (name != u.flag) continue;
    if (std::string(u.what).empty()) {
      return "Accepted; etcdpp behaves the same with either value.";
    }
    std::vector<std::string> quoted;
    for (const std::string& v : u.accepted) quoted.push_back(absl::StrCat("'", v, "'"));
    return absl::StrCat("Not supported by etcdpp (", u.what, " is not built); only ",
                        absl::StrJoin(quoted, " or "), " is accepted.");
  }
  return "";
}

std::vector<std::string> KnownFlags() {
  std::vector<std::string> out(ValueFlags().begin(), ValueFlags().end());
  out.insert(out.end(), BoolFlags().begin(), BoolFlags().end());
  std::sort(out.begin(), out.end());
  return out;
}

bool IsImplementedFlag(const std::string& name) {
  if (ValueFlags().count(name) == 0 && BoolFlags().count(name) == 0) return false;
  if (absl::StartsWith(name, "proxy-")) return false;
  for (const Unsupported& u : UnsupportedFlags()) {
    if (name == u.flag) return false;
  }
  return true;
}

std::chrono::milliseconds RequestTimeoutFor(int64_t election_timeout_ms) {
  return std::chrono::milliseconds(5000 + 2 * election_timeout_ms);
}

}  // namespace etcdpp::server
