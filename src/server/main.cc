// etcdpp: an etcd-compatible key-value server. Flags, environment and milestone log lines are
// etcd's, so unit files, scripts and test harnesses written for etcd work unchanged.

#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/failpoint.h"
#include "common/sd_notify.h"
#include "common/version.h"
#include "grpc/support/log.h"
#include "server/config.h"
#include "server/etcd_server.h"
#include "server/gateway/gateway_command.h"
#include "server/grpcproxy/grpcproxy_command.h"
#include "server/log/zap_log.h"
#include "server/usage.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace {

// gRPC's own log lines (gpr_log) go through the same logger, so every line on the outputs is
// one of zap's.
void LogFromGrpc(gpr_log_func_args* args) {
  const spdlog::level::level_enum level =
      args->severity == GPR_LOG_SEVERITY_ERROR  ? spdlog::level::err
      : args->severity == GPR_LOG_SEVERITY_INFO ? spdlog::level::info
                                                : spdlog::level::debug;
  spdlog::default_logger_raw()->log(spdlog::source_loc{args->file, args->line, ""}, level, "{}",
                                    args->message);
}

// Waits for SIGINT or SIGTERM (blocked in every thread, taken here synchronously).
int WaitForSignal(etcdpp::server::EtcdServer* server) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  for (;;) {
    timespec ts{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      SPDLOG_INFO("received {} signal, shutting down...",
                  sig == SIGINT ? "interrupt" : "terminated");
      return 0;
    }
    if (absl::Status st = server->fatal(); !st.ok()) {
      // Removed from the cluster: etcd stops the server and exits 0 (etcdmain's osutil.Exit(0)
      // once the server's stop channel closes); a supervisor must not restart it as a failure.
      if (server->removed()) {
        SPDLOG_WARN("the member stops: {}", std::string(st.message()));
        return 0;
      }
      SPDLOG_CRITICAL("the member stops: {}", st.ToString());
      return 1;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds abseil with deadlock detection on; gRPC's internal locks then pay for a
  // lock graph on every acquisition (about 7% of server CPU under put load, docs/performance.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the shutdown signals before any thread starts, so only WaitForSignal takes them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args(argv + 1, argv + argc);
  // etcd's subcommands, recognised as etcd does: by the first argument only.
  if (!args.empty() && args[0] == "gateway") {
    return etcdpp::server::gateway::RunGatewayCommand({args.begin() + 1, args.end()});
  }
  if (!args.empty() && args[0] == "grpc-proxy") {
    return etcdpp::server::grpcproxy::RunGrpcProxyCommand({args.begin() + 1, args.end()});
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  if (absl::Status fp = etcdpp::failpoint::ArmFromEnvironment(env); !fp.ok()) {
    std::fprintf(stderr, "etcdpp: %s\n", std::string(fp.message()).c_str());
    return 2;
  }
  absl::StatusOr<etcdpp::server::Config> cfg = etcdpp::server::ParseConfig(args, env);
  if (!cfg.ok()) {
    std::fprintf(stderr, "etcd: %s\n", std::string(cfg.status().message()).c_str());
    return 2;
  }
  if (cfg->show_version) {
    // etcd's four lines; the Git SHA and Go version lines name what built this binary instead.
    utsname u{};
    ::uname(&u);
    const std::string machine = u.machine;
    const std::string arch = machine == "x86_64"    ? "amd64"
                             : machine == "aarch64" ? "arm64"
                             : machine == "ppc64le" ? "ppc64le"
                             : machine == "s390x"   ? "s390x"
                                                    : machine;
    std::printf(
        "etcd Version: %s\nGit SHA: etcdpp-%s\nGo Version: none (etcdpp is C++)\n"
        "Go OS/Arch: linux/%s\n",
        etcdpp::kApiVersion, etcdpp::kEtcdppVersion, arch.c_str());
    return 0;
  }
  if (cfg->show_help) {
    std::fputs(etcdpp::server::ServerUsage().c_str(), stdout);
    return 0;
  }
  etcdpp::server::log::LogSetup log_setup;
  log_setup.outputs = cfg->log_outputs;
  log_setup.level = cfg->log_level;
  log_setup.encoding = cfg->log_format == "console" ? etcdpp::server::log::Encoding::kConsole
                                                    : etcdpp::server::log::Encoding::kJson;
  if (absl::Status st = etcdpp::server::log::SetUpLogging(log_setup); !st.ok()) {
    std::fprintf(stderr, "etcd: %s\n", std::string(st.message()).c_str());
    return 2;
  }
  gpr_set_log_function(LogFromGrpc);
  for (const std::string& w : cfg->warnings) SPDLOG_WARN("{}", w);
  SPDLOG_INFO("{}", etcdpp::server::log::With("starting an etcd server",
                                              etcdpp::server::log::Fields()
                                                  .Str("etcd-version", etcdpp::kApiVersion)
                                                  .Str("etcdpp-version", etcdpp::kEtcdppVersion)
                                                  .Str("name", cfg->name)
                                                  .Str("data-dir", cfg->data_dir)
                                                  .Str("config-file", cfg->config_file)));
  absl::StatusOr<std::unique_ptr<etcdpp::server::EtcdServer>> server =
      etcdpp::server::EtcdServer::Open(*cfg);
  if (!server.ok()) {
    SPDLOG_CRITICAL("cannot open the member: {}", server.status().ToString());
    return 1;
  }
  if (absl::Status st = (*server)->Start(); !st.ok()) {
    SPDLOG_CRITICAL("cannot start: {}", st.ToString());
    return 1;
  }
  int rc = WaitForSignal(server->get());
  if (absl::Status st = etcdpp::SdNotify("STOPPING=1"); !st.ok()) SPDLOG_WARN("{}", st.ToString());
  if (rc != 0) {
    // A fatal error (a failed WAL write or sync, a backend commit the disk refused, ...): exit
    // now, as etcd's Fatal does. What was acknowledged is in the synced WAL; a graceful stop
    // would only make the requests still in flight wait out their timeouts (seconds) for a raft
    // node that no longer runs.
    spdlog::shutdown();
    std::_Exit(rc);
  }
  (*server)->Stop();
  return rc;
}
