#pragma once
// The workloads, named and shaped as etcd's benchmark tool (tools/benchmark/cmd/*.go).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/tool/driver.h"

namespace etcdpp::bench {

// Extra results a workload reports besides its latency categories.
struct Notes {
  std::string text;  // lines appended to the text report
  std::string json;  // "key":value pairs appended to the JSON line
};

struct Workload {
  std::string name;
  // Report categories: the first is the workload's headline figure.
  std::vector<std::string> categories;
  std::function<absl::Status(Driver*, Notes*)> run;
};

// nullptr for an unknown name.
const Workload* FindWorkload(const std::string& name);

// etcd's keys: the (zig-zag varint) encoding of i in a zero-padded key of `size` bytes.
std::string BenchKey(int64_t i, int64_t size);
// Key number i of a workload: --key-prefix, then BenchKey(i, --key-size).
std::string WorkloadKey(const Options& o, int64_t i);
// Bytes of etcd's mustRandBytes: printable, fixed per seed.
std::string RandomBytes(int64_t size, uint64_t seed);

[[nodiscard]] absl::Status RunPut(Driver* d, Notes* notes);
[[nodiscard]] absl::Status RunRange(Driver* d, Notes* notes);
[[nodiscard]] absl::Status RunTxnPut(Driver* d, Notes* notes);
[[nodiscard]] absl::Status RunTxnMixed(Driver* d, Notes* notes);
[[nodiscard]] absl::Status RunWatch(Driver* d, Notes* notes);
[[nodiscard]] absl::Status RunWatchLatency(Driver* d, Notes* notes);
[[nodiscard]] absl::Status RunLeaseKeepalive(Driver* d, Notes* notes);

}  // namespace etcdpp::bench
