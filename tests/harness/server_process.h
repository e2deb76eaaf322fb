#pragma once
// ServerProcess: one real etcd-compatible server process (etcdpp or the reference etcd) for
// tests, on 127.0.0.1 with free ports and its own temp directory.
//
// Life cycle:
//   Create()      allocates the temp dir and ports; no process yet.
//   Launch()      fork/exec, stdout+stderr appended to <tmp>/<name>.log; returns at once.
//   WaitReady()   polls (bounded) until the log of *this* launch says "ready to serve client
//                 requests" and the client port accepts a connection; fails with the log tail
//                 if the process exits or the timeout passes.
//   Kill()        SIGKILL and reap. Stop(): SIGTERM, then SIGKILL after a grace period.
//   Restart()     Launch + WaitReady on the same data dir and ports.
//   Start()       Create + Launch + WaitReady: the single-member case.
//
// Launch and WaitReady are separate so that a cluster can launch all members before waiting:
// a member of a multi-member cluster only becomes ready once a quorum is up. A cluster harness
// picks every member's ports first (PickFreePort), builds MemberConfig::initial_cluster from
// them, Create()s each member with that config, Launch()es all, then WaitReady()s all.
//
// Only the process this object started is ever signalled, by PID. The destructor kills a
// still-running process and removes the temp dir (kept when ETCDPP_TEST_KEEP_TMP=1 or after
// set_keep_temp_dir(true), e.g. when a test failed).
//
// Not thread-safe: one thread drives an instance. The child is sent SIGKILL if the thread that
// launched it exits (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etcdpp::testing {

struct MemberConfig {
  std::string name = "default";
  // 0: pick a free port at Create().
  int client_port = 0;
  int peer_port = 0;
  // --initial-cluster; empty means the single member "<name>=<peer url>".
  std::string initial_cluster;
  // false: no --initial-cluster at all (--discovery-srv in extra_flags names the members).
  bool pass_initial_cluster = true;
  // --initial-cluster-state / --initial-cluster-token; empty: flag not passed.
  std::string initial_cluster_state;
  std::string initial_cluster_token;
  // Appended after the harness's own flags, e.g. {"--max-txn-ops=8"}.
  std::vector<std::string> extra_flags;
  // "NAME=VALUE" entries added to (or replacing in) the test's environment for the process,
  // e.g. the power-loss shim's LD_PRELOAD.
  std::vector<std::string> extra_env;
  // How the settings reach the server: as flags (default), as a YAML file given with
  // --config-file (<temp dir>/etcd.conf.yml, etcd's keys), or as ETCD_* variables.
  enum class Source { kFlags, kConfigFile, kEnvironment };
  Source source = Source::kFlags;
};

class ServerProcess {
 public:
  // Allocates the temp dir (data dir and log live in it) and any port left 0. No process yet.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ServerProcess>> Create(std::string binary,
                                                                             MemberConfig config);
  // Create + Launch + WaitReady.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      std::string binary, MemberConfig config = {},
      absl::Duration ready_timeout = kDefaultReadyTimeout);

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the process; fails if one is already running.
  [[nodiscard]] absl::Status Launch();
  // Waits for the current launch to serve; see the file comment.
  [[nodiscard]] absl::Status WaitReady(absl::Duration timeout = kDefaultReadyTimeout);
  // SIGKILL, then reap. OK if no process is running.
  [[nodiscard]] absl::Status Kill();
  // SIGTERM, wait up to `grace`, then SIGKILL; reaps. OK if no process is running.
  [[nodiscard]] absl::Status Stop(absl::Duration grace = absl::Seconds(5));
  // Launch + WaitReady with the same data dir, ports and flags. The process must be down.
  [[nodiscard]] absl::Status Restart(absl::Duration ready_timeout = kDefaultReadyTimeout);

  // Reaps the process if it exited on its own; true while it runs.
  bool Running();

  // "127.0.0.1:<client port>", as gRPC targets and etcdctl --endpoints want it.
  std::string Endpoint() const;
  std::string ClientUrl() const;  // http://127.0.0.1:<client port>
  std::string PeerUrl() const;    // http://127.0.0.1:<peer port>
  const std::string& binary() const { return binary_; }
  const MemberConfig& config() const { return config_; }
  const std::string& temp_dir() const { return temp_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  // The environment of later launches (see MemberConfig::extra_env).
  void set_extra_env(std::vector<std::string> env) { config_.extra_env = std::move(env); }
  // How later launches pass the settings (see MemberConfig::source).
  void set_source(MemberConfig::Source s) { config_.source = s; }
  pid_t pid() const { return pid_; }
  // How the last process ended (waitpid status), valid after it was reaped.
  int last_wait_status() const { return last_wait_status_; }

  // The last `lines` lines of the log (all launches), for error messages.
  std::string LogTail(int lines = 40) const;

  void set_keep_temp_dir(bool keep) { keep_temp_dir_ = keep; }

  static constexpr absl::Duration kDefaultReadyTimeout = absl::Seconds(10);

 private:
  ServerProcess(std::string binary, MemberConfig config, std::string temp_dir);

  std::vector<std::string> Argv() const;
  // Waits (bounded) for the process to exit; true if it was reaped.
  bool WaitExit(absl::Duration timeout);
  [[nodiscard]] absl::Status ErrorWithLog(absl::string_view what) const;

  // Constant after construction.
  const std::string binary_;
  MemberConfig config_;  // ports filled in; only extra_env and source change after construction
  const std::string temp_dir_;
  const std::string data_dir_;
  const std::string log_path_;

  // Per launch.
  pid_t pid_ = -1;
  int last_wait_status_ = 0;
  long log_offset_at_launch_ = 0;  // WaitReady searches the log from here
  bool keep_temp_dir_ = false;
};

}  // namespace etcdpp::testing
