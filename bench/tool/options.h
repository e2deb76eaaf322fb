#pragma once
// Command line of etcdpp-bench: etcd's benchmark flags (tools/benchmark, cmd/root.go and one
// file per workload) plus a few of ours (--duration, --json, --threads, --timeout).
//
//   etcdpp-bench [global flags] <workload> [workload flags] [args]
//
// Flags are Go style: -flag v, --flag v, --flag=v; booleans take no value or =true/=false.
// A flag left unset keeps the workload's etcd default (see ApplyWorkloadDefaults).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcdpp::bench {

inline constexpr int64_t kUnset = -1;

struct Options {
  std::string workload;           // put, range, txn-put, txn-mixed, watch, ...
  std::vector<std::string> args;  // positional: range's key [end]
  // Global (etcd's root flags).
  std::vector<std::string> endpoints = {"127.0.0.1:2379"};
  int conns = 1;
  int clients = 1;
  bool target_leader = false;
  std::string cacert, cert, key;  // TLS (tls_credentials.h); none: plaintext
  // --user NAME:PASSWORD (etcd's form; no prompt): log in on every connection (auth_token.h).
  std::string user, password;  // user "": auth off
  // Ours: a machine-readable summary, generator threads, per-request deadline, stall bound.
  bool json = false;
  int threads = 0;            // 0: min(2, clients)
  double timeout_s = 10;      // deadline of each unary request
  double stall_s = 15;        // stop when nothing completes for this long
  double dial_timeout_s = 5;  // etcd's --dial-timeout: wait this long to connect
  // Workload flags; kUnset means "the workload's default".
  int64_t total = kUnset;
  double duration_s = 0;  // > 0: run this long (total unlimited unless given)
  int64_t rate = 0;       // requests/s, 0 = unlimited
  int64_t key_size = kUnset;
  int64_t val_size = kUnset;
  int64_t key_space_size = 1;
  bool sequential_keys = false;
  // Ours: prepended to every generated key (put, txn-put, txn-mixed, watch, watch-latency), so
  // that a user with one prefix permission can run them; --key-size counts the rest.
  std::string key_prefix;
  std::string consistency = "l";   // range, txn-mixed: l | s
  int64_t txn_ops = 1;             // txn-put: puts per txn
  double rw_ratio = 1;             // txn-mixed: reads per write
  int64_t limit = 1000;            // txn-mixed: range limit
  std::string end_key;             // txn-mixed: range end ("" = whole key space)
  int64_t put_rate = kUnset;       // watch, watch-latency
  int64_t put_total = 1000;        // watch
  int64_t streams = 10;            // watch
  int64_t watch_per_stream = 100;  // watch
  std::string data_dir = ".";      // fdatasync: where the test file goes
};

// Parses argv. Errors name the bad flag.
[[nodiscard]] absl::StatusOr<Options> ParseOptions(int argc, char** argv);

// Fills kUnset fields with etcd's defaults for opts->workload.
void ApplyWorkloadDefaults(Options* opts);

std::string Usage();

}  // namespace etcdpp::bench
