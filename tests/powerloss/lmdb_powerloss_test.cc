// LMDB under a simulated power loss: lmdb_writer commits numbered transactions under
// libetcdpp_powerloss.so until it is SIGKILLed at a random moment; etcdpp-powerloss-recover
// (plain, or torn with a seed) then applies the power loss. The environment must open cleanly,
// hold every transaction the writer reported committed, and nothing of a later one (the one in
// flight may or may not have made it). Repeated on one environment with varied kill delays.

#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "child_process.h"
#include "gtest/gtest.h"
#include "lmdb_schema.h"
#include "powerloss_test_util.h"

namespace etcdpp::powerloss {
namespace {

using lmdb_schema::BigEndian;
using lmdb_schema::Key;
using lmdb_schema::KvHolds;
using lmdb_schema::Value;

// What a writer run printed: the last committed transaction (0 if none) and whether it
// printed anything.
struct Reported {
  uint64_t last = 0;
  bool any = false;
  std::string other;  // the last line that was not a number
  std::string tail;   // a partial line
};

// Reads the writer's stdout until `deadline`, or until the pipe closes.
void ReadUntil(int fd, absl::Time deadline, Reported* r) {
  char buf[4096];
  while (absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (poll(&p, 1, std::max(ms, 1)) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;
    r->tail.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = r->tail.find('\n')) != std::string::npos) {
      uint64_t v;
      if (absl::SimpleAtoi(r->tail.substr(0, nl), &v)) {
        r->last = v;
        r->any = true;
      } else {
        r->other = r->tail.substr(0, nl);
      }
      r->tail.erase(0, nl + 1);
    }
  }
}

std::string Str(const MDB_val& v) { return std::string(static_cast<char*>(v.mv_data), v.mv_size); }

// Opens the environment (as the writer does) and checks it holds exactly transactions 1..last
// for some last in [lo, hi]; returns that last.
uint64_t CheckEnvironment(const std::string& path, uint64_t lo, uint64_t hi) {
  MDB_env* env = nullptr;
  EXPECT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_mapsize(env, size_t{1} << 30);
  mdb_env_set_maxdbs(env, 8);
  int rc = mdb_env_open(env, path.c_str(), MDB_NOSUBDIR | MDB_NOTLS, 0644);
  EXPECT_EQ(rc, 0) << "reopening after the power loss: " << mdb_strerror(rc);
  uint64_t last = 0;
  MDB_txn* txn = nullptr;
  MDB_dbi kv, idx, meta;
  if (rc == 0 && (rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) == 0) {
    bool have_dbs = mdb_dbi_open(txn, "meta", 0, &meta) == 0;
    if (have_dbs) {
      EXPECT_EQ(mdb_dbi_open(txn, "kv", 0, &kv), 0);
      EXPECT_EQ(mdb_dbi_open(txn, "idx", 0, &idx), 0);
      std::string key = "last";
      MDB_val k{key.size(), key.data()}, v;
      if (mdb_get(txn, meta, &k, &v) == 0) {
        EXPECT_TRUE(absl::SimpleAtoi(Str(v), &last));
      }
    }
    EXPECT_GE(last, lo) << "an acknowledged commit was lost";
    EXPECT_LE(last, hi) << "a commit that never ran is there";
    if (have_dbs) {
      MDB_cursor* c;
      EXPECT_EQ(mdb_cursor_open(txn, kv, &c), 0);
      MDB_val k, v;
      uint64_t seen = 0, expected = 0;
      for (uint64_t i = 1; i <= last; ++i) expected += KvHolds(i, last);
      for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
           rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        uint64_t i = 0;
        EXPECT_TRUE(absl::SimpleAtoi(Str(k).substr(1), &i)) << Str(k);
        EXPECT_TRUE(KvHolds(i, last)) << "kv has " << Str(k) << " with last " << last;
        EXPECT_TRUE(Str(v) == Value(i)) << "kv value of " << Str(k) << " is wrong";
        ++seen;
      }
      EXPECT_EQ(rc, MDB_NOTFOUND) << mdb_strerror(rc);
      EXPECT_EQ(seen, expected);
      mdb_cursor_close(c);
      EXPECT_EQ(mdb_cursor_open(txn, idx, &c), 0);
      uint64_t i = 0;
      for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
           rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        ++i;
        EXPECT_TRUE(Str(k) == BigEndian(i) && Str(v) == Key(i)) << "idx entry " << i;
      }
      EXPECT_EQ(i, last);
      mdb_cursor_close(c);
    }
    mdb_txn_abort(txn);
  }
  mdb_env_close(env);
  return last;
}

class LmdbPowerLossTest : public ::testing::Test {
 protected:
  // Runs the writer under the shim, SIGKILLs it `delay` after it printed its first commit (or
  // after the shim started in it, when `from_start`), and returns what it reported.
  Reported RunAndKill(const TempRoot& t, absl::Duration delay, bool from_start,
                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {ETCDPP_POWERLOSS_LMDB_WRITER, t.Path("db")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = StartChild(argv, ShimEnv(ETCDPP_POWERLOSS_SHIM, t.root(), t.journal()), true);
    EXPECT_TRUE(child.ok()) << child.status();
    Reported r;
    if (!child.ok()) return r;
    if (!from_start) {
      absl::Time limit = absl::Now() + absl::Seconds(20);
      while (!r.any && absl::Now() < limit)
        ReadUntil(child->stdout_fd, absl::Now() + absl::Milliseconds(5), &r);
      EXPECT_TRUE(r.any) << "the writer committed nothing in 20 s";
    } else {
      // From the shim's start (its journal exists), not the fork: on a loaded machine the
      // process may take longer than `delay` to get there, and a kill before it leaves no
      // journal to recover.
      absl::Time limit = absl::Now() + absl::Seconds(20);
      while (!std::filesystem::exists(t.journal()) && absl::Now() < limit) {
        absl::SleepFor(absl::Milliseconds(1));
      }
      EXPECT_TRUE(std::filesystem::exists(t.journal())) << "the shim started no journal in 20 s";
    }
    ReadUntil(child->stdout_fd, absl::Now() + delay, &r);
    kill(child->pid, SIGKILL);
    ReadUntil(child->stdout_fd, absl::Now() + absl::Seconds(5), &r);  // until EOF
    close(child->stdout_fd);
    auto status = WaitChild(child->pid, absl::Seconds(10));
    EXPECT_TRUE(status.ok() && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
        << "the writer ended on its own";
    return r;
  }
};

TEST_F(LmdbPowerLossTest, AcknowledgedCommitsSurviveRandomPowerLosses) {
  TempRoot t;
  std::mt19937 rng(20240607);
  uint64_t durable = 0;  // every commit acknowledged so far
  for (int round = 0; round < 20; ++round) {
    bool from_start = round % 5 == 0;  // some kills land inside opening/creating the env
    absl::Duration delay = absl::Milliseconds(from_start ? rng() % 30 : 5 + rng() % 300);
    bool torn = round % 2 == 1;
    // Some rounds are a plain crash (the page cache survives): the next run appends to the
    // same journal, and the next recovery replays both lives.
    bool power_loss = round % 4 != 2;
    SCOPED_TRACE(::testing::Message() << "round " << round << " delay " << delay
                                      << (power_loss ? (torn ? " torn" : "") : " crash only"));
    Reported r = RunAndKill(t, delay, from_start);
    SCOPED_TRACE(::testing::Message() << "durable before " << durable << ", acknowledged "
                                      << (r.any ? std::to_string(r.last) : "none"));
    uint64_t lo = std::max(durable, r.last);
    if (power_loss) {
      auto out = Recover(t.journal(), torn, /*seed=*/round);
      ASSERT_TRUE(out.ok()) << out.status();
    }
    const uint64_t found = CheckEnvironment(t.Path("db"), lo, lo + 1);
    ASSERT_FALSE(HasFailure());
    // After a power loss what is there is durable (recovery rewrote the files to the model's
    // state). After a crash only, the commit that was in flight may be there without being
    // durable in the journal's eyes: the shim journals a sync after the call returns, and a
    // kill between the two leaves a durable write looking unsynced. Only what the writer
    // acknowledged counts then (CI once failed on an unacknowledged commit seen after round
    // 14's crash and gone after round 15's power loss).
    durable = power_loss ? found : std::max(durable, r.last);
  }
  EXPECT_GT(durable, 20u);
  std::printf("%llu transactions committed over 20 SIGKILLs (15 power losses)\n",
              static_cast<unsigned long long>(durable));
}

// The control: with MDB_NOSYNC the same run must lose acknowledged commits, or the test above
// would pass without any fsync at all.
TEST_F(LmdbPowerLossTest, WithoutSyncsAcknowledgedCommitsAreLost) {
  TempRoot t;
  Reported r = RunAndKill(t, absl::Milliseconds(100), false, {"--nosync"});
  ASSERT_TRUE(r.any);
  auto out = Recover(t.journal());
  ASSERT_TRUE(out.ok()) << out.status();
  uint64_t last = CheckEnvironment(t.Path("db"), 0, 0);
  EXPECT_LT(last, r.last);
}

// LMDB never fsyncs the directory: without the writer's own directory sync, a freshly created
// environment is not durable at all, whatever it committed (src/backend/backend.cc does not
// sync the directory either).
TEST_F(LmdbPowerLossTest, AFreshEnvironmentNeedsItsDirectorySynced) {
  TempRoot t;
  Reported r = RunAndKill(t, absl::Milliseconds(50), false, {"--no-dir-sync"});
  EXPECT_TRUE(r.any);
  auto out = Recover(t.journal());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ReadFile(t.Path("db")), "<missing>");
}

// Commits per second with and without the shim, and the journal's size per MB written: printed,
// not asserted (the lead's cluster tests budget time with them).
TEST_F(LmdbPowerLossTest, OverheadOfTheShim) {
  constexpr int kCommits = 300;
  double rate[2];
  std::string stats;
  for (int shim = 0; shim < 2; ++shim) {
    TempRoot t;
    std::vector<std::string> argv = {ETCDPP_POWERLOSS_LMDB_WRITER, t.Path("db"), "--count",
                                     std::to_string(kCommits)};
    std::vector<std::string> env;
    if (shim) env = ShimEnv(ETCDPP_POWERLOSS_SHIM, t.root(), t.journal());
    auto child = StartChild(argv, env, true);
    ASSERT_TRUE(child.ok()) << child.status();
    Reported r;
    ReadUntil(child->stdout_fd, absl::Now() + absl::Seconds(120), &r);
    close(child->stdout_fd);
    auto status = WaitChild(child->pid, absl::Seconds(10));
    ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    double elapsed = 0;
    ASSERT_EQ(std::sscanf(r.other.c_str(), "elapsed %lf", &elapsed), 1) << r.other;
    rate[shim] = kCommits / elapsed;
    if (shim) {
      auto out = Recover(t.journal());
      ASSERT_TRUE(out.ok()) << out.status();
      stats = *out;
    }
  }
  std::printf("lmdb_writer: %.0f commits/s without the shim, %.0f with it (%.2fx)\n%s", rate[0],
              rate[1], rate[0] / rate[1], stats.c_str());
}

}  // namespace
}  // namespace etcdpp::powerloss
