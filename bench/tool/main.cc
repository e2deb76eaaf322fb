// etcdpp-bench: an etcd-style load generator on the v3 gRPC API. See bench/tool/options.h
// for the command line and docs/performance.md for how bench/compare uses it.

#include <sys/resource.h>

#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bench/tool/auth_token.h"
#include "bench/tool/driver.h"
#include "bench/tool/echo_server.h"
#include "bench/tool/endpoints.h"
#include "bench/tool/fdatasync_floor.h"
#include "bench/tool/options.h"
#include "bench/tool/workload.h"

namespace etcdpp::bench {
namespace {

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int RunFloor(Options opts) {
  if (opts.total == kUnset) opts.total = 1000;
  Recorder rec(1);
  double secs = RunFdatasyncFloor(opts, &rec);
  if (secs < 0) return 1;
  Summary s = Summarize("fdatasync", &rec, 0, secs);
  std::printf("%s\n", opts.json ? FormatJson("fdatasync", {s}, "").c_str() : FormatText(s).c_str());
  return s.errors > 0 ? 1 : 0;
}

int Main(int argc, char** argv) {
  // Debian builds abseil without NDEBUG, so every absl::Mutex (gRPC's included) runs deadlock
  // detection (GraphCycles) unless told not to: a few percent of CPU in a profile.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  Options opts = *parsed;
  if (opts.workload == "fdatasync") return RunFloor(opts);
  std::unique_ptr<EchoServer> echo;
  if (opts.workload == "grpc-rtt") {  // range 1 key against an in-process no-op server
    auto started = EchoServer::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", std::string(started.status().message()).c_str());
      return 1;
    }
    echo = *std::move(started);
    opts.endpoints = {echo->address()};
    opts.workload = "range";
    opts.args = {"k"};
    opts.consistency = "s";
  }
  ApplyWorkloadDefaults(&opts);
  const Workload* w = FindWorkload(opts.workload);
  if (w == nullptr) {
    std::fprintf(stderr, "unknown workload %s\n%s", opts.workload.c_str(), Usage().c_str());
    return 2;
  }
  auto channels = Dial(opts);
  if (!channels.ok()) {
    std::fprintf(stderr, "%s\n", std::string(channels.status().message()).c_str());
    return 1;
  }
  auto tokens = LoginAll(opts, *channels);
  if (!tokens.ok()) {
    std::fprintf(stderr, "%s\n", std::string(tokens.status().message()).c_str());
    return 1;
  }
  Driver driver(opts, *std::move(channels), static_cast<int>(w->categories.size()),
                *std::move(tokens));
  Notes notes;
  double cpu0 = CpuSeconds();
  if (absl::Status st = w->run(&driver, &notes); !st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return 2;
  }
  double cpu = CpuSeconds() - cpu0;
  std::vector<Summary> all;
  for (size_t c = 0; c < w->categories.size(); ++c) {
    all.push_back(
        Summarize(w->categories[c], driver.merged(), static_cast<int>(c), driver.seconds()));
  }
  std::string reason = driver.stop_reason();
  if (opts.json) {
    std::string extra = absl::StrFormat("\"client_cpu_s\":%.3f", cpu);
    if (!reason.empty()) absl::StrAppend(&extra, ",\"stopped\":\"", reason, "\"");
    if (!notes.json.empty()) absl::StrAppend(&extra, ",", notes.json);
    std::printf("%s\n", FormatJson(w->name, all, extra).c_str());
  } else {
    for (const auto& s : all) {
      if (s.ok + s.errors > 0) std::printf("%s\n", FormatText(s).c_str());
    }
    std::printf("%s", notes.text.c_str());
    std::printf("Generator CPU: %.3f s (%d threads)\n", cpu, opts.threads);
    if (!reason.empty()) std::printf("Stopped early: %s\n", reason.c_str());
  }
  int64_t errors = 0, ok = 0;
  for (const auto& s : all) {
    errors += s.errors;
    ok += s.ok;
  }
  return errors > 0 || !reason.empty() || ok == 0 ? 1 : 0;
}

}  // namespace
}  // namespace etcdpp::bench

int main(int argc, char** argv) { return etcdpp::bench::Main(argc, argv); }
