// etcdpp: an etcd-compatible key-value server. Flags, environment and milestone log lines are
// etcd's, so unit files, scripts and test harnesses written for etcd work unchanged.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/sd_notify.h"
#include "common/version.h"
#include "server/config.h"
#include "server/etcd_server.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace {

// --log-outputs: "default"/"stderr", "stdout", file paths (appended to). --log-level: etcd's
// zap levels; dpanic, panic and fatal log only critical lines.
bool SetUpLogging(const etcdpp::server::Config& cfg) {
  std::vector<spdlog::sink_ptr> sinks;
  for (const std::string& out : cfg.log_outputs) {
    if (out == "default" || out == "stderr") {
      sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    } else if (out == "stdout") {
      sinks.push_back(std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
    } else {
      try {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(out));
      } catch (const spdlog::spdlog_ex& e) {
        std::fprintf(stderr, "etcd: cannot open --log-outputs file %s: %s\n", out.c_str(),
                     e.what());
        return false;
      }
    }
  }
  auto logger = std::make_shared<spdlog::logger>("etcdpp", sinks.begin(), sinks.end());
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%f %^%L%$ | %v");
  const std::string& level = cfg.log_level;
  spdlog::set_level(level == "warn"    ? spdlog::level::warn
                    : level == "debug" ? spdlog::level::debug
                    : level == "error" ? spdlog::level::err
                    : level == "info"  ? spdlog::level::info
                                       : spdlog::level::critical);
  spdlog::flush_on(spdlog::level::info);
  return true;
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
      spdlog::info("received {} signal, shutting down...",
                   sig == SIGINT ? "interrupt" : "terminated");
      return 0;
    }
    if (absl::Status st = server->fatal(); !st.ok()) {
      spdlog::critical("the member stops: {}", st.ToString());
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
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  absl::StatusOr<etcdpp::server::Config> cfg = etcdpp::server::ParseConfig(args, env);
  if (!cfg.ok()) {
    std::fprintf(stderr, "etcd: %s\n", std::string(cfg.status().message()).c_str());
    return 2;
  }
  if (cfg->show_version) {
    std::printf(
        "etcd Version: %s\netcdpp Version: %s\nGo Version: none (C++)\nGo OS/Arch: linux/amd64\n",
        etcdpp::kApiVersion, etcdpp::kEtcdppVersion);
    return 0;
  }
  if (cfg->show_help) {
    std::printf("Usage: etcdpp [flags]\n  Flags are etcd's (see `etcd --help`).\n");
    return 0;
  }
  if (!SetUpLogging(*cfg)) return 2;
  for (const std::string& w : cfg->warnings) spdlog::warn("{}", w);
  spdlog::info("etcdpp starting: name {} data-dir {}", cfg->name, cfg->data_dir);
  absl::StatusOr<std::unique_ptr<etcdpp::server::EtcdServer>> server =
      etcdpp::server::EtcdServer::Open(*cfg);
  if (!server.ok()) {
    spdlog::critical("cannot open the member: {}", server.status().ToString());
    return 1;
  }
  if (absl::Status st = (*server)->Start(); !st.ok()) {
    spdlog::critical("cannot start: {}", st.ToString());
    return 1;
  }
  int rc = WaitForSignal(server->get());
  if (absl::Status st = etcdpp::SdNotify("STOPPING=1"); !st.ok()) spdlog::warn("{}", st.ToString());
  (*server)->Stop();
  return rc;
}
