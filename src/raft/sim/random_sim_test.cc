// Randomized simulation of src/raft: thousands of seeded runs of a cluster under message loss,
// duplication, reordering, partitions, crashes and restarts from disk, conf changes and log
// compaction, with the Raft safety properties checked after every step (sim/checker.h) and
// progress required once the faults heal (sim/random_run.h).
//
// A failing seed is printed with its trace and reproduces alone:
//   RAFT_SIM_SEED=1234 bin/raft_test --gtest_filter='RaftSimulation*'
// More seeds than the normal run: RAFT_SIM_SEEDS=1000000 (and RAFT_SIM_FIRST_SEED=n).

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "raft/sim/random_run.h"

namespace etcdpp::raft::sim {
namespace {

constexpr uint64_t kDefaultSeeds = 10000;
constexpr int kShards = 4;  // separate ctest cases, so ctest -j runs them in parallel

std::optional<uint64_t> EnvNumber(const char* name) {
  const char* v = std::getenv(name);
  uint64_t n = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &n)) return std::nullopt;
  return n;
}

RunOptions DefaultOptions() {
  RunOptions o;
  if (std::optional<uint64_t> steps = EnvNumber("RAFT_SIM_STEPS"))
    o.steps = static_cast<int>(*steps);
  return o;
}

// A raft RAFT_CHECK aborts the process: say which seed did it.
volatile uint64_t g_running_seed = 0;

void OnAbort(int sig) {
  char buf[96];
  char digits[24];
  int n = 0;
  uint64_t v = g_running_seed;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  const char prefix[] = "\nraft simulation aborted; reproduce: RAFT_SIM_SEED=";
  size_t len = 0;
  for (size_t i = 0; i + 1 < sizeof(prefix); ++i) buf[len++] = prefix[i];
  while (n > 0) buf[len++] = digits[--n];
  buf[len++] = '\n';
  (void)!write(2, buf, len);
  signal(sig, SIG_DFL);
  raise(sig);
}

void RunSeed(uint64_t seed, RunStats* stats, int* failures) {
  g_running_seed = seed;
  absl::Status s = RunRandomSimulation(seed, DefaultOptions(), stats);
  if (s.ok()) return;
  ++*failures;
  if (*failures > 3) return;  // enough to go on
  // Run it again with the trace on, for the report.
  RunOptions traced = DefaultOptions();
  traced.trace = true;
  absl::Status t = RunRandomSimulation(seed, traced, nullptr);
  ADD_FAILURE() << (t.ok() ? s.message() : t.message()) << "\nreproduce: RAFT_SIM_SEED=" << seed
                << " bin/raft_test --gtest_filter='RaftSimulation*'";
}

class RaftSimulationTest : public ::testing::TestWithParam<int> {};

// §5.4.3: "Raft guarantees that each of these properties is true at all times" -- Election
// Safety, Log Matching, Leader Completeness, State Machine Safety -- whatever the network and
// the crashes do; and once they stop, the cluster makes progress again.
TEST_P(RaftSimulationTest, SafetyPropertiesAreTrueAtAllTimes) {
  int shard = GetParam();
  signal(SIGABRT, OnAbort);
  if (std::optional<uint64_t> one = EnvNumber("RAFT_SIM_SEED")) {
    if (shard != 0) GTEST_SKIP();
    g_running_seed = *one;
    RunOptions o = DefaultOptions();
    o.trace = true;
    absl::Status s = RunRandomSimulation(*one, o, nullptr);
    EXPECT_TRUE(s.ok()) << s.message();
    return;
  }
  uint64_t first = EnvNumber("RAFT_SIM_FIRST_SEED").value_or(1);
  uint64_t count = EnvNumber("RAFT_SIM_SEEDS").value_or(kDefaultSeeds);
  RunStats stats;
  int failures = 0;
  uint64_t runs = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t seed = first + static_cast<uint64_t>(shard); seed < first + count;
       seed += kShards) {
    RunSeed(seed, &stats, &failures);
    ++runs;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures, 0) << failures << " of " << runs << " seeds failed";
  std::cout << "shard " << shard << ": " << runs << " seeds in " << secs << " s; " << stats.leaders
            << " leaders, " << stats.crashes << " crashes, " << stats.conf_changes
            << " conf changes proposed, total commit index " << stats.committed
            << ", worst liveness " << stats.liveness_ticks << " ticks\n";
}

INSTANTIATE_TEST_SUITE_P(Shards, RaftSimulationTest, ::testing::Range(0, kShards));

}  // namespace
}  // namespace etcdpp::raft::sim
