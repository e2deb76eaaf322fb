// crash_test: acknowledged writes survive SIGKILL, and revisions neither repeat nor skip.
//
// One server, one data dir, kRounds rounds. In each round kThreads client threads put fresh
// keys ("crash/rRR/tT/NNNNNN", value derived from the key) as fast as the server acknowledges
// them, recording key, value and header.revision of every acknowledged put; after a short
// random delay the server is SIGKILLed while they are putting, then restarted on the same data
// dir, and the test checks:
//   1. every acknowledged revision is unique (no revision handed out twice);
//   2. every acknowledged put is readable at its revision: Range(key, revision=rev) returns the
//      put's value with mod_revision == rev;
//   3. the key space "crash/" accounts for every revision from 2 to the current one exactly once:
//      each key is written once, so its mod_revision is the revision of its put; acknowledged
//      puts and puts whose acknowledgement was lost in the kill together cover 2..current with
//      no gap and no repeat, and every stored value is the one its key was put with.
// The same test runs against the reference etcd ("etcd" parameter), which must pass it too.
//
// Reproduce a run with CRASH_TEST_SEED=<seed printed by the test>.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

using std::chrono::milliseconds;

constexpr int kRounds = 20;
constexpr int kThreads = 4;
constexpr int kMaxPutsPerThreadPerRound = 2000;
constexpr int kMinKillDelayMs = 20;
constexpr int kMaxKillDelayMs = 200;
constexpr milliseconds kRpcTimeout{3000};
constexpr char kPrefix[] = "crash/";

struct Ack {
  std::string key;
  int64_t revision = 0;
};

std::string KeyFor(int round, int thread, int i) {
  return absl::StrFormat("%sr%02d/t%d/%06d", kPrefix, round, thread, i);
}
std::string ValueFor(const std::string& key) { return "value-of-" + key; }

std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// What the put threads of one round saw.
struct RoundLog {
  std::mutex mu;
  std::vector<Ack> acks;                  // guarded by mu
  std::vector<std::string> early_errors;  // errors before the kill; guarded by mu
  std::atomic<int> acked{0};
  std::atomic<int> threads_done_before_kill{0};
  std::atomic<bool> killed{false};
};

void PutLoop(const std::string& endpoint, int round, int thread, RoundLog* log) {
  auto channel = NewChannel(endpoint);
  auto stub = etcdserverpb::KV::NewStub(channel);
  for (int i = 0; i < kMaxPutsPerThreadPerRound && !log->killed.load(); ++i) {
    etcdserverpb::PutRequest req;
    req.set_key(KeyFor(round, thread, i));
    req.set_value(ValueFor(req.key()));
    etcdserverpb::PutResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    ctx->set_wait_for_ready(i == 0);  // first put waits for the connection
    grpc::Status st = stub->Put(ctx.get(), req, &resp);
    if (!st.ok()) {
      if (!log->killed.load()) {
        std::lock_guard<std::mutex> lock(log->mu);
        log->early_errors.push_back(req.key() + ": " + StatusString(st));
      }
      return;
    }
    {
      std::lock_guard<std::mutex> lock(log->mu);
      log->acks.push_back({req.key(), resp.header().revision()});
    }
    log->acked.fetch_add(1);
  }
  if (!log->killed.load()) log->threads_done_before_kill.fetch_add(1);
}

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    flavor_ = FlavorByName(GetParam());
    std::string why = WhyNotRunnable(flavor_);
    if (!why.empty()) {
      if (flavor_.binary.empty()) GTEST_SKIP() << why;
      FAIL() << why;
    }
    uint64_t seed = std::random_device{}();
    if (const char* s = std::getenv("CRASH_TEST_SEED"); s != nullptr) {
      seed = std::strtoull(s, nullptr, 10);
    }
    printf("CRASH_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
    rng_.seed(seed);
  }

  // Runs one round of puts and kills the server in the middle of it.
  void PutAndKill(ServerProcess& server, int round, RoundLog* log) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back(PutLoop, server.Endpoint(), round, t, log);
    }
    // Let the clients get going (bounded), then kill after a random delay.
    for (int i = 0; i < 500 && log->acked.load() < kThreads; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    std::uniform_int_distribution<int> delay(kMinKillDelayMs, kMaxKillDelayMs);
    std::this_thread::sleep_for(milliseconds(delay(rng_)));
    log->killed.store(true);
    absl::Status st = server.Kill();
    for (std::thread& t : threads) t.join();
    ASSERT_TRUE(st.ok()) << st;
  }

  // Checks 2. for `acks`: each is readable at its revision with its value.
  void CheckReadableAtRevision(etcdserverpb::KV::Stub& kv, const std::vector<Ack>& acks) {
    int failures = 0;
    for (const Ack& ack : acks) {
      etcdserverpb::RangeRequest req;
      req.set_key(ack.key);
      req.set_revision(ack.revision);
      etcdserverpb::RangeResponse resp;
      auto ctx = ContextWithDeadline(kRpcTimeout);
      grpc::Status st = kv.Range(ctx.get(), req, &resp);
      bool ok = st.ok() && resp.kvs_size() == 1 && resp.kvs(0).mod_revision() == ack.revision &&
                resp.kvs(0).value() == ValueFor(ack.key);
      if (!ok && ++failures <= 10) {
        ADD_FAILURE() << "acknowledged put " << ack.key << " @" << ack.revision
                      << " not readable at its revision: " << StatusString(st) << " "
                      << resp.ShortDebugString();
      }
    }
    EXPECT_EQ(failures, 0) << "of " << acks.size() << " acknowledged puts";
  }

  // Checks 1. and 3. over the whole key space and all acknowledgements so far.
  void CheckKeySpace(etcdserverpb::KV::Stub& kv, const std::vector<Ack>& all_acks) {
    etcdserverpb::RangeRequest req;
    req.set_key(kPrefix);
    req.set_range_end(PrefixEnd(kPrefix));
    etcdserverpb::RangeResponse resp;
    auto ctx = ContextWithDeadline(milliseconds(10000));
    grpc::Status st = kv.Range(ctx.get(), req, &resp);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    const int64_t current = resp.header().revision();

    std::map<int64_t, std::string> key_at_revision;
    std::map<std::string, int64_t> revision_of_key;
    for (const auto& kvp : resp.kvs()) {
      EXPECT_EQ(kvp.value(), ValueFor(kvp.key())) << "stored value of " << kvp.key();
      EXPECT_EQ(kvp.version(), 1) << kvp.key() << " was written more than once";
      EXPECT_EQ(kvp.create_revision(), kvp.mod_revision()) << kvp.key();
      auto [it, fresh] = key_at_revision.emplace(kvp.mod_revision(), kvp.key());
      EXPECT_TRUE(fresh) << "revision " << kvp.mod_revision() << " used by both " << it->second
                         << " and " << kvp.key();
      revision_of_key[kvp.key()] = kvp.mod_revision();
    }

    std::set<int64_t> acked_revisions;
    int bad_acks = 0;  // reported individually up to 10
    for (const Ack& ack : all_acks) {
      std::string problem;
      auto it = revision_of_key.find(ack.key);
      if (!acked_revisions.insert(ack.revision).second) {
        problem = "revision acknowledged twice";
      } else if (it == revision_of_key.end()) {
        problem = "acknowledged put lost";
      } else if (it->second != ack.revision) {
        problem = "stored with mod_revision " + std::to_string(it->second);
      }
      if (!problem.empty() && ++bad_acks <= 10) {
        ADD_FAILURE() << problem << ": " << ack.key << " @" << ack.revision;
      }
    }
    EXPECT_EQ(bad_acks, 0) << "of " << all_acks.size() << " acknowledged puts";

    // Every revision 2..current is one stored key's put: no gap, nothing extra.
    int gaps = 0;
    for (int64_t rev = 2; rev <= current; ++rev) {
      if (key_at_revision.count(rev) == 0 && ++gaps <= 10) {
        ADD_FAILURE() << "revision " << rev << " (of 2.." << current
                      << ") is not the revision of any stored put: skipped";
      }
    }
    EXPECT_EQ(gaps, 0) << "revisions skipped";
    if (!key_at_revision.empty()) {
      EXPECT_LE(key_at_revision.rbegin()->first, current);
    }
    EXPECT_EQ(static_cast<int64_t>(key_at_revision.size()), current - 1)
        << "stored puts vs revisions 2.." << current;
  }

  ServerFlavor flavor_;
  std::mt19937_64 rng_;
};

TEST_P(CrashTest, AcknowledgedPutsSurviveSigkillWithoutRevisionGaps) {
  auto created = ServerProcess::Create(flavor_.binary, MemberConfig{});
  ASSERT_TRUE(created.ok()) << created.status();
  ServerProcess& server = **created;

  std::vector<Ack> all_acks;
  std::vector<Ack> last_round_acks;
  int rounds_killed_mid_put = 0;
  for (int round = 0; round <= kRounds; ++round) {
    absl::Status st = round == 0 ? server.Launch() : server.Restart();
    if (st.ok() && round == 0) st = server.WaitReady();
    if (!st.ok()) server.set_keep_temp_dir(true);
    ASSERT_TRUE(st.ok()) << "round " << round << ": " << st;

    auto channel = NewChannel(server.Endpoint());
    auto kv = etcdserverpb::KV::NewStub(channel);
    if (round > 0) {
      SCOPED_TRACE(absl::StrFormat("after kill #%d (%d acknowledged puts so far)", round,
                                   static_cast<int>(all_acks.size())));
      CheckKeySpace(*kv, all_acks);
      CheckReadableAtRevision(*kv, round == kRounds ? all_acks : last_round_acks);
      if (HasFailure()) server.set_keep_temp_dir(true);
      ASSERT_FALSE(HasFailure());
    }
    if (round == kRounds) break;

    RoundLog log;
    PutAndKill(server, round, &log);
    ASSERT_FALSE(HasFailure());
    EXPECT_TRUE(log.early_errors.empty())
        << "puts failed before the kill, e.g. " << log.early_errors.front();
    if (log.threads_done_before_kill.load() == 0) ++rounds_killed_mid_put;
    last_round_acks = log.acks;
    all_acks.insert(all_acks.end(), log.acks.begin(), log.acks.end());
  }
  printf("%s: %d rounds, %zu acknowledged puts, %d rounds killed with all %d clients putting\n",
         flavor_.name.c_str(), kRounds, all_acks.size(), rounds_killed_mid_put, kThreads);
  EXPECT_GT(rounds_killed_mid_put, 0) << "the kill never hit puts in flight";
  EXPECT_TRUE(server.Stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Servers, CrashTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
