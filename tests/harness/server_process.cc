#include "harness/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/ports.h"

extern char** environ;

namespace etcdpp::testing {
namespace {

constexpr std::string_view kReadyLine = "ready to serve client requests";
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

[[nodiscard]] absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

[[nodiscard]] absl::StatusOr<std::string> MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      absl::StrCat((base != nullptr && *base != '\0') ? base : "/tmp", "/etcdpp-test-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoError(absl::StrCat("mkdtemp ", tmpl));
  return tmpl;
}

std::string ReadFileFrom(const std::string& path, long offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(offset);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

bool EnvFlag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string_view(v) == "1";
}

// This process's environment with `extra` ("NAME=VALUE") added, replacing same-named entries.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  auto name_of = [](std::string_view e) { return e.substr(0, e.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const std::string& x : extra) replaced = replaced || name_of(x) == name_of(entry);
    if (!replaced) out.emplace_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Create(std::string binary,
                                                                     MemberConfig config) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("server binary not executable: '", binary, "'"));
  }
  if (config.client_port == 0) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    config.client_port = *port;
  }
  if (config.peer_port == 0) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    config.peer_port = *port;
  }
  absl::StatusOr<std::string> dir = MakeTempDir();
  if (!dir.ok()) return dir.status();
  return std::unique_ptr<ServerProcess>(
      new ServerProcess(std::move(binary), std::move(config), *std::move(dir)));
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(std::string binary,
                                                                    MemberConfig config,
                                                                    absl::Duration ready_timeout) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      Create(std::move(binary), std::move(config));
  if (!server.ok()) return server.status();
  absl::Status st = (*server)->Launch();
  if (st.ok()) st = (*server)->WaitReady(ready_timeout);
  if (!st.ok()) return st;
  return server;
}

ServerProcess::ServerProcess(std::string binary, MemberConfig config, std::string temp_dir)
    : binary_(std::move(binary)),
      config_(std::move(config)),
      temp_dir_(std::move(temp_dir)),
      data_dir_(absl::StrCat(temp_dir_, "/", config_.name, ".etcd")),
      log_path_(absl::StrCat(temp_dir_, "/", config_.name, ".log")),
      keep_temp_dir_(EnvFlag("ETCDPP_TEST_KEEP_TMP")) {}

namespace {
// Writes the last `lines` lines of the log at `path` to stderr, each prefixed with "| ".
void PrintLogTail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  if (!in) return;
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(std::move(line));
    if (tail.size() > lines) tail.pop_front();
  }
  fprintf(stderr, "ServerProcess: the last %zu lines of %s:\n", tail.size(), path.c_str());
  for (const std::string& l : tail) fprintf(stderr, "| %s\n", l.c_str());
}
}  // namespace

ServerProcess::~ServerProcess() {
  (void)Kill();
  if (keep_temp_dir_) {
    fprintf(stderr, "ServerProcess: kept %s\n", temp_dir_.c_str());
    PrintLogTail(log_path_, 80);  // CI keeps no temp dirs: the log's end is all it shows
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(temp_dir_, ec);
}

std::string ServerProcess::Endpoint() const {
  return absl::StrCat("127.0.0.1:", config_.client_port);
}
std::string ServerProcess::ClientUrl() const { return absl::StrCat("http://", Endpoint()); }
std::string ServerProcess::PeerUrl() const {
  return absl::StrCat("http://127.0.0.1:", config_.peer_port);
}

std::vector<std::string> ServerProcess::Argv() const {
  std::string initial_cluster = config_.initial_cluster.empty()
                                    ? absl::StrCat(config_.name, "=", PeerUrl())
                                    : config_.initial_cluster;
  std::vector<std::string> argv = {
      binary_,      "--name",
      config_.name, "--data-dir",
      data_dir_,    "--listen-client-urls",
      ClientUrl(),  "--advertise-client-urls",
      ClientUrl(),  "--listen-peer-urls",
      PeerUrl(),    "--initial-advertise-peer-urls",
      PeerUrl(),
  };
  if (config_.pass_initial_cluster) argv.insert(argv.end(), {"--initial-cluster", initial_cluster});
  if (!config_.initial_cluster_state.empty()) {
    argv.insert(argv.end(), {"--initial-cluster-state", config_.initial_cluster_state});
  }
  if (!config_.initial_cluster_token.empty()) {
    argv.insert(argv.end(), {"--initial-cluster-token", config_.initial_cluster_token});
  }
  argv.insert(argv.end(), config_.extra_flags.begin(), config_.extra_flags.end());
  return argv;
}

// The flags of `args` (after the binary) as (name, value) pairs: "--f v", "--f=v", "--f" (true).
static std::vector<std::pair<std::string, std::string>> FlagPairs(
    const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i].substr(args[i].find_first_not_of('-'));
    if (size_t eq = name.find('='); eq != std::string::npos) {
      out.emplace_back(name.substr(0, eq), name.substr(eq + 1));
    } else if (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0) {
      out.emplace_back(name, args[++i]);
    } else {
      out.emplace_back(name, "true");
    }
  }
  return out;
}

absl::Status ServerProcess::Launch() {
  if (Running()) return absl::FailedPreconditionError("server already running");
  std::vector<std::string> args = Argv();
  std::vector<std::string> extra_env = config_.extra_env;
  if (config_.source != MemberConfig::Source::kFlags) {
    const auto flags = FlagPairs(args);
    args.resize(1);
    if (config_.source == MemberConfig::Source::kConfigFile) {
      const std::string path = absl::StrCat(temp_dir_, "/etcd.conf.yml");
      std::string yaml;
      for (const auto& [name, value] : flags) {
        // Booleans and numbers bare (etcd decodes YAML into typed fields), the rest quoted.
        const bool bare = value == "true" || value == "false" ||
                          (!value.empty() && std::all_of(value.begin(), value.end(), ::isdigit));
        absl::StrAppend(&yaml, name, ": ", bare ? value : absl::StrCat("'", value, "'"), "\n");
      }
      std::ofstream(path, std::ios::trunc) << yaml;
      args.insert(args.end(), {"--config-file", path});
    } else {
      for (const auto& [name, value] : flags) {
        std::string var = absl::AsciiStrToUpper(name);
        std::replace(var.begin(), var.end(), '-', '_');
        extra_env.push_back(absl::StrCat("ETCD_", var, "=", value));
      }
    }
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = ChildEnvironment(extra_env);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoError(absl::StrCat("open ", log_path_));
  std::string banner = absl::StrCat("=== harness: launching: ", absl::StrJoin(args, " "), "\n");
  (void)!write(log_fd, banner.data(), banner.size());
  log_offset_at_launch_ = FileSize(log_path_);
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return ErrnoError("fork");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status ServerProcess::WaitReady(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const int max_polls = static_cast<int>(timeout / kPollInterval) + 1;
  bool saw_ready_line = false;
  for (int i = 0; i < max_polls && absl::Now() < deadline; ++i) {
    if (!Running()) {
      return ErrorWithLog(absl::StrCat("server exited before it was ready (",
                                       DescribeWaitStatus(last_wait_status_), ")"));
    }
    if (!saw_ready_line) {
      saw_ready_line =
          ReadFileFrom(log_path_, log_offset_at_launch_).find(kReadyLine) != std::string::npos;
    }
    if (saw_ready_line && PortAcceptsConnections(config_.client_port)) {
      return absl::OkStatus();
    }
    absl::SleepFor(kPollInterval);
  }
  return ErrorWithLog(absl::StrCat("server not ready after ", absl::FormatDuration(timeout),
                                   saw_ready_line ? " (ready line seen, port not accepting)"
                                                  : " (no \"ready to serve client requests\")"));
}

bool ServerProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) last_wait_status_ = status;
  pid_ = -1;  // reaped (or not our child any more: nothing left to signal)
  return false;
}

bool ServerProcess::WaitExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const int max_polls = static_cast<int>(timeout / absl::Milliseconds(10)) + 1;
  for (int i = 0; i < max_polls; ++i) {
    if (!Running()) return true;
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return !Running();
}

absl::Status ServerProcess::Kill() {
  if (!Running()) return absl::OkStatus();
  if (kill(pid_, SIGKILL) != 0 && errno != ESRCH) return ErrnoError("kill(SIGKILL)");
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) last_wait_status_ = status;
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status ServerProcess::Stop(absl::Duration grace) {
  if (!Running()) return absl::OkStatus();
  if (kill(pid_, SIGTERM) != 0 && errno != ESRCH) return ErrnoError("kill(SIGTERM)");
  if (WaitExit(grace)) return absl::OkStatus();
  return Kill();
}

absl::Status ServerProcess::Restart(absl::Duration ready_timeout) {
  if (Running()) return absl::FailedPreconditionError("Restart: server still running");
  absl::Status st = Launch();
  if (!st.ok()) return st;
  return WaitReady(ready_timeout);
}

std::string ServerProcess::LogTail(int lines) const {
  std::string all = ReadFileFrom(log_path_, 0);
  std::vector<absl::string_view> parts = absl::StrSplit(all, '\n');
  size_t from = parts.size() > static_cast<size_t>(lines) ? parts.size() - lines : 0;
  std::vector<absl::string_view> tail(parts.begin() + from, parts.end());
  return absl::StrJoin(tail, "\n");
}

absl::Status ServerProcess::ErrorWithLog(absl::string_view what) const {
  return absl::UnavailableError(absl::StrCat(binary_, " (", Endpoint(), "): ", what, "\n--- ",
                                             log_path_, " (tail) ---\n", LogTail()));
}

}  // namespace etcdpp::testing
