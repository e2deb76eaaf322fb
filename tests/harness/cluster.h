#pragma once
// Cluster: n real server processes (etcdpp or the reference etcd) forming one cluster on
// 127.0.0.1, for multi-member tests. Members are named m0 .. m<n-1>, each with its own free
// client and peer ports and temp dir; all are launched before any is waited for (a member is
// ready only once a quorum is up).
//
// Which member leads is a gRPC question (Maintenance.Status): see cluster_grpc.h, so that this
// library needs no gRPC. Members are ServerProcess objects: kill, stop or restart one through
// member(i). The destructor stops every member still running (by PID, as ServerProcess does).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/server_process.h"

namespace etcdpp::testing {

class Cluster {
 public:
  // Creates, launches and waits for `size` members of `binary`; `extra_flags` go to each.
  // `before_launch`, if set, sees each member after it was created and before its first launch
  // (e.g. to give it an environment of its own: ServerProcess::set_extra_env).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Cluster>> Start(
      const std::string& binary, int size, std::vector<std::string> extra_flags = {},
      absl::Duration ready_timeout = absl::Seconds(30),
      const std::function<void(ServerProcess*)>& before_launch = nullptr);

  int size() const { return static_cast<int>(members_.size()); }
  ServerProcess& member(int i) { return *members_[i]; }

  // Keeps every member's temp dir (data and log) after the test, e.g. when it failed.
  void KeepTempDirs();

 private:
  explicit Cluster(std::vector<std::unique_ptr<ServerProcess>> members)
      : members_(std::move(members)) {}

  std::vector<std::unique_ptr<ServerProcess>> members_;
};

}  // namespace etcdpp::testing
