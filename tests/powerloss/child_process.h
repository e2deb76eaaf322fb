#pragma once
// Child processes for the power-loss tests: start a program (optionally under the power-loss
// shim), read its stdout, wait with a bound, and SIGKILL it by PID. Children get
// PR_SET_PDEATHSIG so a crashed test leaves none behind.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etcdpp::powerloss {

struct Child {
  pid_t pid = -1;
  int stdout_fd = -1;  // read end of the child's stdout, when captured; the caller closes it
};

// Starts argv[0] with this process's environment plus `env` ("NAME=VALUE" each).
[[nodiscard]] absl::StatusOr<Child> StartChild(const std::vector<std::string>& argv,
                                               const std::vector<std::string>& env,
                                               bool capture_stdout);

// The environment that preloads `shim` with the given root and journal (and lets an
// ASan-instrumented child start with a preloaded library ahead of its runtime). An empty root
// or journal leaves that variable unset.
std::vector<std::string> ShimEnv(const std::string& shim, const std::string& root,
                                 const std::string& journal);

// Waits for `pid`; after `timeout` sends it SIGKILL and fails. Returns the wait status.
[[nodiscard]] absl::StatusOr<int> WaitChild(pid_t pid, absl::Duration timeout);

struct RunResult {
  int status = 0;      // wait status
  std::string output;  // stdout and stderr
};
// Runs argv to completion (bounded by `timeout`), capturing its output.
[[nodiscard]] absl::StatusOr<RunResult> Run(const std::vector<std::string>& argv,
                                            absl::Duration timeout);

}  // namespace etcdpp::powerloss
