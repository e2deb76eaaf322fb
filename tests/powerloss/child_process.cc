#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace etcdpp::powerloss {
namespace {

[[nodiscard]] absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// In the child: never returns.
[[noreturn]] void Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       int out_fd, int err_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (out_fd >= 0) dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve(args[0], args.data(), envp.data());
  _exit(127);
}

}  // namespace

[[nodiscard]] absl::StatusOr<Child> StartChild(const std::vector<std::string>& argv,
                                               const std::vector<std::string>& env,
                                               bool capture_stdout) {
  int fds[2] = {-1, -1};
  if (capture_stdout && pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe");
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) Exec(argv, env, fds[1], -1);
  Child c{pid, fds[0]};
  if (fds[1] >= 0) close(fds[1]);
  return c;
}

std::vector<std::string> ShimEnv(const std::string& shim, const std::string& root,
                                 const std::string& journal) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::vector<std::string> env = {
      absl::StrCat("LD_PRELOAD=", shim),
      absl::StrCat("ASAN_OPTIONS=", asan != nullptr ? asan : "",
                   asan != nullptr && *asan != '\0' ? ":" : "", "verify_asan_link_order=0")};
  if (!root.empty()) env.push_back(absl::StrCat("ETCDPP_POWERLOSS_ROOT=", root));
  if (!journal.empty()) env.push_back(absl::StrCat("ETCDPP_POWERLOSS_JOURNAL=", journal));
  return env;
}

[[nodiscard]] absl::StatusOr<int> WaitChild(pid_t pid, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return ErrnoError("waitpid");
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat("child ", pid, " did not finish in time"));
    }
    usleep(2000);
  }
}

[[nodiscard]] absl::StatusOr<RunResult> Run(const std::vector<std::string>& argv,
                                            absl::Duration timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe");
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) Exec(argv, {}, fds[1], fds[1]);
  close(fds[1]);
  RunResult result;
  absl::Time deadline = absl::Now() + timeout;
  char buf[4096];
  while (absl::Now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  absl::StatusOr<int> status = WaitChild(pid, deadline - absl::Now() + absl::Seconds(1));
  if (!status.ok()) return status.status();
  result.status = *status;
  return result;
}

}  // namespace etcdpp::powerloss
