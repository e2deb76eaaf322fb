#pragma once
// Latency recording and the summary etcd's benchmark prints (pkg/report): throughput, the
// latency distribution, and errors counted by message. A Recorder belongs to one generator
// thread (no locks); recorders are merged once the run is over.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "grpcpp/support/status.h"

namespace etcdpp::bench {

// Nanoseconds on the steady clock.
int64_t NowNs();

class Recorder {
 public:
  explicit Recorder(int categories) : lat_ns_(categories), errors_(categories) {}

  void Ok(int category, int64_t start_ns, int64_t end_ns);
  void Error(int category, int64_t end_ns, const std::string& message);
  void Error(int category, int64_t end_ns, const grpc::Status& status);
  // Adds other's results to this one.
  void Merge(const Recorder& other);

  int categories() const { return static_cast<int>(lat_ns_.size()); }
  std::vector<int64_t>& latencies(int category) { return lat_ns_[category]; }
  const std::map<std::string, int64_t>& errors(int category) const { return errors_[category]; }
  int64_t last_end_ns() const { return last_end_ns_; }

 private:
  std::vector<std::vector<int64_t>> lat_ns_;
  std::vector<std::map<std::string, int64_t>> errors_;
  int64_t last_end_ns_ = 0;
};

// etcd's Go error text for a gRPC status: "rpc error: code = Unimplemented desc = ...".
std::string GoErrorString(const grpc::Status& status);

struct Summary {
  std::string name;
  int64_t ok = 0;
  int64_t errors = 0;
  double seconds = 0;  // from the run's start to its last completion
  double rps = 0;      // successful requests per second
  double avg_ms = 0, stddev_ms = 0, min_ms = 0, max_ms = 0;
  double p10_ms = 0, p25_ms = 0, p50_ms = 0, p75_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0,
         p999_ms = 0;
  std::map<std::string, int64_t> error_counts;
};

// Sorts the category's latencies in place.
Summary Summarize(const std::string& name, Recorder* rec, int category, double seconds);

// etcd's text report (Summary, latency distribution, error distribution).
std::string FormatText(const Summary& s);

// One JSON line: the first summary at top level, the others under "categories"; `extra` holds
// pre-rendered "key":value pairs appended at top level (client CPU, notes).
std::string FormatJson(const std::string& workload, const std::vector<Summary>& all,
                       const std::string& extra);

}  // namespace etcdpp::bench
