#pragma once
// FaultCluster: a Cluster (cluster.h) plus what the fault and membership tests need: who leads,
// full dumps of a member's keys (serializable, so each member answers from its own store), waits
// for convergence, members joining later, and etcdpp's peer fault switch (a member's
// <data-dir>/peer-faults lists the peers whose traffic it drops; the switch works only when
// ETCDPP_TEST_PEER_FAULTS=1 was set before the members were launched, see EnablePeerFaults).
//
// Not thread-safe (one test thread drives it); the client helpers (Put, Dump, ...) may be
// called from any thread.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "harness/cluster.h"
#include "harness/server_process.h"

namespace etcdpp::testing {

struct ClusterOptions {
  std::string binary;
  int size = 3;
  // Flags for every member, e.g. {"--heartbeat-interval=50", "--election-timeout=500"}.
  std::vector<std::string> extra_flags;
  // Sees each founding member after it was created, before its first launch.
  std::function<void(ServerProcess*)> before_launch;
};

// One member's keys as it stores them.
struct KvRecord {
  std::string key, value;
  int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
  bool operator==(const KvRecord&) const = default;
};
struct Dump {
  int64_t revision = 0;
  std::vector<KvRecord> kvs;  // sorted by key
};

// Sets ETCDPP_TEST_PEER_FAULTS=1 in this process, so that members launched afterwards read
// their peer-faults file. Returns why it cannot (a build without the server's test hooks,
// server/test_hooks.h), or "" when it did.
[[nodiscard]] std::string EnablePeerFaults();

class FaultCluster {
 public:
  // Picks ports, creates and launches every member, waits until all are ready.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FaultCluster>> Start(ClusterOptions opts);

  // The founding members first (0 .. options().size - 1), then the ones that joined.
  int size() const { return base_->size() + static_cast<int>(joined_.size()); }
  ServerProcess& member(int i) {
    return i < base_->size() ? base_->member(i) : *joined_[i - base_->size()];
  }
  std::string InitialCluster() const;
  const ClusterOptions& options() const { return opts_; }
  void KeepTempDirs();  // for a failed test

  // The member id that member i reports in its response headers (0 if it does not answer).
  uint64_t MemberId(int i);
  // Index of the running member that says it leads, polled until `timeout`; -1 if none.
  int WaitLeader(absl::Duration timeout);

  // Creates (not launches) a member that joins this cluster: --initial-cluster-state existing
  // with `initial_cluster` (this cluster's plus the new member's entry).
  [[nodiscard]] absl::StatusOr<ServerProcess*> AddJoiningMember(const std::string& name,
                                                                int peer_port,
                                                                const std::string& initial_cluster);

  // Member i drops all traffic to and from the members in `peers` (an empty list heals it).
  [[nodiscard]] absl::Status CutOff(int i, const std::vector<int>& peers);

  // Polls (bounded) until every running member serves the same revision and the same dump;
  // the dumps on success, or the first difference.
  [[nodiscard]] absl::StatusOr<std::vector<Dump>> WaitConverged(absl::Duration timeout);

 private:
  explicit FaultCluster(ClusterOptions opts) : opts_(std::move(opts)) {}

  ClusterOptions opts_;
  std::unique_ptr<Cluster> base_;
  std::vector<std::unique_ptr<ServerProcess>> joined_;
  std::vector<uint64_t> ids_;  // cached MemberId answers
};

// Calls `done` every `every` until it returns true (then true) or `timeout` passes (false).
bool PollUntil(const std::function<bool()>& done, absl::Duration timeout,
               std::chrono::milliseconds every = std::chrono::milliseconds(50));

// ---- Client helpers (each makes its own channel; every call has a deadline) ----
std::unique_ptr<etcdserverpb::KV::Stub> KvStub(const std::string& endpoint);
grpc::Status Put(const std::string& endpoint, const std::string& key, const std::string& value,
                 std::chrono::milliseconds deadline, etcdserverpb::PutResponse* resp = nullptr);
// Every key of the member at `endpoint`: serializable (its own store) or linearizable.
[[nodiscard]] absl::StatusOr<Dump> DumpAll(const std::string& endpoint, bool serializable,
                                           std::chrono::milliseconds deadline);
[[nodiscard]] absl::StatusOr<etcdserverpb::StatusResponse> MemberStatus(
    const std::string& endpoint, std::chrono::milliseconds deadline);
// The first difference between two dumps, or "" if equal.
std::string DiffDumps(const Dump& a, const Dump& b);

}  // namespace etcdpp::testing
