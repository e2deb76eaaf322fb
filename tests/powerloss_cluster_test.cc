// powerloss_cluster_test: whole etcdpp members losing power, with real processes under the
// power-loss shim (tests/powerloss/: an LD_PRELOAD library journals every write, sync and
// directory change under the member's temp dir; after a SIGKILL, etcdpp-powerloss-recover rolls
// the files back to what was synced, with --torn keeping a random prefix of what was not).
// SIGKILL alone keeps the page cache, so only this shows what fsyncs (of the WAL, LMDB, the
// snapshot files and the directories) are really for.
//
//  - OneMemberKeepsEveryAcknowledgedWrite: a single member under write load, powered off at
//    random moments and restarted: every acknowledged put is there, at its revision.
//  - UnsafeNoFsyncNeverSyncsAndLosesWritesAtAPowerLoss: with --unsafe-no-fsync the journal
//    holds no sync at all and a power loss loses acknowledged puts (the flag does what it says).
//  - ThreeMembersPoweredOffAtRandom: 3 members under write load from several clients, at least
//    50 power-offs of single members at random moments (plain and torn), with process crashes
//    mixed in; every restart succeeds, and in the end all members converge on identical data
//    holding every acknowledged write. POWERLOSS_OFFS overrides the count, POWERLOSS_SEED the
//    random choices.
//  - ConfChangeRightAfterASnapshotReachesAFollowerThatInstallsIt: crash-consistency finding 4,
//    with the follower's disk made slow by the shim (see the test).
//  - FailedSnapshotInstallStopsTheMember: a follower whose install of a received snapshot fails
//    (the shim makes the rename over its database fail) stops before applying anything else,
//    and its restart installs the snapshot and converges with the others (on ec3f637 it went on
//    applying entries to its old state, committed them, and restarted diverged).
//  - Faults/DiskFaultTest: on one member of 1 and of 3, fsync failing with EIO (WAL, database),
//    a full disk under the WAL and under the database, a slow WAL and a slow database disk; a
//    failing disk stops the
//    member with the error in its log while the others serve, then it loses power and comes
//    back with every acknowledged write on every member.

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/acked_writes.h"
#include "harness/binaries.h"
#include "harness/cluster_ops.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"
#include "powerloss/child_process.h"
#include "powerloss/powerloss_test_util.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;

constexpr milliseconds kRpc{3000};

bool Skip() { return !WhyNotRunnable(FlavorByName("etcdpp")).empty(); }

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t n = 0;
  return v != nullptr && absl::SimpleAtoi(v, &n) && n > 0 ? n : fallback;
}

// The shim's journal of a member: beside its temp dir (outside the tracked root, on the same
// filesystem), removed with the test's other leftovers.
std::string JournalDir(const ServerProcess& p) { return p.temp_dir() + ".powerloss"; }
std::string Journal(const ServerProcess& p) { return JournalDir(p) + "/journal"; }

// The member's environment under the shim: everything in its temp dir (data dir included, so
// the data dir's own creation counts) is tracked. `extra`: more variables (faults).
std::vector<std::string> ShimEnvFor(const ServerProcess& p, std::vector<std::string> extra = {}) {
  std::filesystem::create_directories(JournalDir(p));
  std::vector<std::string> env =
      powerloss::ShimEnv(ETCDPP_POWERLOSS_SHIM, p.temp_dir(), Journal(p));
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// Removes the journal dirs when the test ends (the harness removes the temp dirs).
class JournalCleanup {
 public:
  void Add(const ServerProcess& p) { dirs_.push_back(JournalDir(p)); }
  ~JournalCleanup() {
    std::error_code ec;
    for (const std::string& d : dirs_) std::filesystem::remove_all(d, ec);
  }

 private:
  std::vector<std::string> dirs_;
};

// A one-member etcdpp ("s1") with `flags`, launched under the shim (its journal removed by
// `cleanup`) and ready.
[[nodiscard]] absl::StatusOr<std::unique_ptr<ServerProcess>> LaunchOneMemberUnderShim(
    std::vector<std::string> flags, JournalCleanup* cleanup) {
  MemberConfig cfg;
  cfg.name = "s1";
  cfg.extra_flags = std::move(flags);
  ASSIGN_OR_RETURN(std::unique_ptr<ServerProcess> p, ServerProcess::Create(BinaryUnderTest(), cfg));
  cleanup->Add(*p);
  p->set_extra_env(ShimEnvFor(*p));
  RETURN_NOT_OK(p->Launch());
  if (absl::Status ready = p->WaitReady(absl::Seconds(30)); !ready.ok()) {
    return absl::Status(ready.code(), absl::StrCat(ready.message(), "\n", p->LogTail()));
  }
  return p;
}

// SIGKILL, then (unless crash_only) the power loss.
[[nodiscard]] absl::Status PowerOff(ServerProcess& p, bool crash_only, bool torn, uint64_t seed) {
  if (absl::Status st = p.Kill(); !st.ok()) return st;
  if (crash_only) return absl::OkStatus();
  absl::StatusOr<std::string> out = powerloss::Recover(Journal(p), torn, seed);
  return out.ok() ? absl::OkStatus() : out.status();
}

// ---- One member -----------------------------------------------------------------------------

// Powers one member off `rounds` times under load; after each restart every acknowledged put
// must be there.
void PowerOffOneMember(std::vector<std::string> flags, int rounds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  JournalCleanup cleanup;
  auto made = LaunchOneMemberUnderShim(std::move(flags), &cleanup);
  ASSERT_TRUE(made.ok()) << made.status();
  ServerProcess& p = **made;
  std::map<std::string, Ack> acked;
  for (int r = 0; r < rounds && !::testing::Test::HasFailure(); ++r) {
    {
      AckedWriters w({p.Endpoint()}, 4, seed + static_cast<uint64_t>(r) * 100,
                     absl::StrCat("pl/", r));
      std::this_thread::sleep_for(milliseconds(50 + rng() % 500));
      absl::Status off = PowerOff(p, /*crash_only=*/false, /*torn=*/r % 2 == 1, rng());
      ASSERT_TRUE(off.ok()) << off;
      w.Stop();
      for (auto& [k, a] : w.acked()) acked[k] = a;
    }
    absl::Status st = p.Restart(absl::Seconds(30));
    ASSERT_TRUE(st.ok()) << "restart " << r << ": " << st << "\n" << p.LogTail();
    absl::StatusOr<Dump> d = DumpAll(p.Endpoint(), true, milliseconds(10000));
    ASSERT_TRUE(d.ok()) << d.status();
    ExpectAllAcked(*d, acked, absl::StrCat("after power-off ", r));
  }
  if (::testing::Test::HasFailure()) p.set_keep_temp_dir(true);
}

TEST(PowerLossTest, OneMemberKeepsEveryAcknowledgedWrite) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  const uint64_t seed = EnvNumber("POWERLOSS_SEED", std::random_device{}());
  SCOPED_TRACE(absl::StrCat("POWERLOSS_SEED=", seed));
  PowerOffOneMember({"--snapshot-count=500"}, 8, seed);
}

// The journal of a member that ran with --unsafe-no-fsync holds writes but not one sync (of a
// file, a directory, or the whole disk), and a power loss then takes acknowledged puts.
TEST(PowerLossTest, UnsafeNoFsyncNeverSyncsAndLosesWritesAtAPowerLoss) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  JournalCleanup cleanup;
  auto made = LaunchOneMemberUnderShim({"--unsafe-no-fsync", "--snapshot-count=50"}, &cleanup);
  ASSERT_TRUE(made.ok()) << made.status();
  ServerProcess& p = **made;
  std::map<std::string, Ack> acked;
  {
    AckedWriters w({p.Endpoint()}, 4, 3);
    ASSERT_TRUE(PollUntil([&] { return w.acked().size() > 200; }, absl::Seconds(30)));
    w.Stop();
    acked = w.acked();
  }
  ASSERT_TRUE(p.Kill().ok());
  absl::StatusOr<powerloss::RunResult> dump = powerloss::Run(
      {ETCDPP_POWERLOSS_RECOVER, "--journal", Journal(p), "--dump"}, absl::Seconds(60));
  ASSERT_TRUE(dump.ok()) << dump.status();
  int changes = 0, syncs = 0;
  for (absl::string_view line : absl::StrSplit(dump->output, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 4) continue;
    if (f[3] == "change") ++changes;
    if (f[3] == "sync" || f[3] == "dirsync" || f[3] == "syncall") ++syncs;
  }
  EXPECT_GT(changes, 200);
  EXPECT_EQ(syncs, 0) << "a member with --unsafe-no-fsync synced something";
  ASSERT_TRUE(powerloss::Recover(Journal(p)).ok());
  ASSERT_TRUE(p.Restart(absl::Seconds(30)).ok()) << p.LogTail();
  absl::StatusOr<Dump> d = DumpAll(p.Endpoint(), true, milliseconds(10000));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_LT(d->kvs.size(), acked.size()) << "a power loss lost nothing without fsyncs";
}

// ---- Three members --------------------------------------------------------------------------

ClusterOptions ShimCluster(std::vector<std::string> flags, JournalCleanup* cleanup,
                           std::vector<std::string> extra_env = {}) {
  ClusterOptions o;
  o.binary = BinaryUnderTest();
  o.size = 3;
  o.extra_flags = std::move(flags);
  o.before_launch = [cleanup, extra_env](ServerProcess* p) {
    cleanup->Add(*p);
    p->set_extra_env(ShimEnvFor(*p, extra_env));
  };
  return o;
}

TEST(PowerLossTest, ThreeMembersPoweredOffAtRandom) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  const uint64_t seed = EnvNumber("POWERLOSS_SEED", std::random_device{}());
  SCOPED_TRACE(absl::StrCat("POWERLOSS_SEED=", seed));
  std::mt19937_64 rng(seed);
  const int offs = static_cast<int>(EnvNumber("POWERLOSS_OFFS", 50));
  JournalCleanup cleanup;
  // Snapshots every 300 entries with a short catch-up window: a member that was down a while
  // is sent the leader's database, so transfers and installs are powered off too.
  auto made = FaultCluster::Start(ShimCluster(
      {"--snapshot-count=300", "--experimental-snapshot-catchup-entries=50"}, &cleanup));
  ASSERT_TRUE(made.ok()) << made.status();
  FaultCluster& c = **made;
  AckedWriters writers(Endpoints(c), 6, seed);
  int power_offs = 0, crashes = 0, torn = 0;
  for (int round = 0; power_offs < offs && !::testing::Test::HasFailure(); ++round) {
    std::this_thread::sleep_for(milliseconds(100 + rng() % 900));
    const int victim = static_cast<int>(rng() % 3);
    const int mode = static_cast<int>(rng() % 5);  // 0: crash only; 1-2 plain; 3-4 torn
    ServerProcess& m = c.member(victim);
    absl::Status off = PowerOff(m, mode == 0, mode >= 3, rng());
    ASSERT_TRUE(off.ok()) << off;
    if (mode == 0) {
      ++crashes;
    } else {
      ++power_offs;
      if (mode >= 3) ++torn;
    }
    absl::Status st = m.Restart(absl::Seconds(60));
    ASSERT_TRUE(st.ok()) << "round " << round << ": restart of " << m.config().name << " after a "
                         << (mode == 0 ? "crash" : "power loss") << ": " << st << "\n"
                         << m.LogTail();
  }
  writers.Stop();
  std::map<std::string, Ack> acked = writers.acked();
  std::printf("power-offs %d (torn %d), crashes %d, acknowledged puts %zu\n", power_offs, torn,
              crashes, acked.size());
  EXPECT_GE(power_offs, offs);
  EXPECT_GT(acked.size(), 1000u);
  ExpectConvergedWithEveryAck(c, acked);
  if (::testing::Test::HasFailure()) c.KeepTempDirs();
}

// ---- A failed snapshot install (crash-consistency finding 2) -------------------------------

bool WaitExited(ServerProcess& p, absl::Duration limit) {
  return PollUntil([&] { return !p.Running(); }, limit);
}

TEST(PowerLossTest, FailedSnapshotInstallStopsTheMember) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  JournalCleanup cleanup;
  if (std::string why = EnablePeerFaults(); !why.empty()) GTEST_SKIP() << why;
  // Every member's rename over its database fails; only a follower installing a snapshot
  // renames over it.
  // A catch-up window of 1,000 entries: the leader sends the stopped follower a snapshot only
  // once it is far behind, and after its restart the follower catches up from the log (a second
  // snapshot would paper over a diverged state).
  auto made = FaultCluster::Start(
      ShimCluster({"--snapshot-count=100", "--experimental-snapshot-catchup-entries=1000"},
                  &cleanup, {"ETCDPP_POWERLOSS_FAIL_RENAME_TO=/member/snap/db"}));
  ASSERT_TRUE(made.ok()) << made.status();
  FaultCluster& c = **made;
  const int leader = c.WaitLeader(absl::Seconds(15));
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % 3;
  ServerProcess& f = c.member(follower);
  absl::StatusOr<pb::StatusResponse> before = MemberStatus(f.Endpoint(), kRpc);
  ASSERT_TRUE(before.ok()) << before.status();
  // Cut off (not stopped: a stopped member would find the leader's appends waiting in its
  // socket buffers when it resumes, and need no snapshot).
  ASSERT_TRUE(c.CutOff(follower, {leader, 3 - leader - follower}).ok());
  std::map<std::string, Ack> acked;
  {
    AckedWriters w({c.member(leader).Endpoint()}, 4, 1);
    // The leader snapshots and compacts its log past the follower (1,000 entries behind its
    // newest snapshot, taken every 100).
    EXPECT_TRUE(PollUntil(
        [&] {
          absl::StatusOr<pb::StatusResponse> l = MemberStatus(c.member(leader).Endpoint(), kRpc);
          return l.ok() && l->raftappliedindex() > before->raftappliedindex() + 1300;
        },
        absl::Seconds(60)));
    ASSERT_TRUE(c.CutOff(follower, {}).ok());
    // The follower is sent a snapshot, fails to swap its database in, and stops; the writes go
    // on meanwhile, so entries after the snapshot reach it.
    EXPECT_TRUE(WaitExited(f, absl::Seconds(30))) << "the follower did not stop\n" << f.LogTail();
    w.Stop();
    acked = w.acked();
  }
  ASSERT_FALSE(f.Running());
  EXPECT_TRUE(WIFEXITED(f.last_wait_status()) && WEXITSTATUS(f.last_wait_status()) != 0)
      << "status " << f.last_wait_status();
  const std::string log = f.LogTail(400);
  EXPECT_NE(log.find("failed to install the snapshot"), std::string::npos) << log;
  // Restarted without the fault, it installs the received database and catches up.
  f.set_extra_env(ShimEnvFor(f));
  absl::Status st = f.Restart(absl::Seconds(60));
  ASSERT_TRUE(st.ok()) << st << "\n" << f.LogTail();
  EXPECT_GT(acked.size(), 100u);
  ExpectConvergedWithEveryAck(c, acked);
  if (::testing::Test::HasFailure()) c.KeepTempDirs();
}

// ---- A full disk (the shim's ETCDPP_POWERLOSS_DISK_FULL) ------------------------------------

// One member under the shim with a full disk for files ending with `suffix` past `bytes`.
[[nodiscard]] absl::StatusOr<std::unique_ptr<ServerProcess>> LaunchWithFullDisk(
    const std::string& suffix, uint64_t bytes, JournalCleanup* cleanup) {
  MemberConfig cfg;
  cfg.name = "s1";
  ASSIGN_OR_RETURN(std::unique_ptr<ServerProcess> p, ServerProcess::Create(BinaryUnderTest(), cfg));
  cleanup->Add(*p);
  p->set_extra_env(
      ShimEnvFor(*p, {absl::StrCat("ETCDPP_POWERLOSS_DISK_FULL=", suffix, ":", bytes)}));
  RETURN_NOT_OK(p->Launch());
  if (absl::Status ready = p->WaitReady(absl::Seconds(30)); !ready.ok()) {
    return absl::Status(ready.code(), absl::StrCat(ready.message(), "\n", p->LogTail()));
  }
  return p;
}

// The disk fills while a defragmentation writes its copy: the defragmentation fails naming the
// file, the member keeps serving on its old file, and after a SIGKILL it restarts with every
// acknowledged write and no stray copy.
TEST(PowerLossTest, FullDiskDuringDefragKeepsTheMemberServing) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  JournalCleanup cleanup;
  auto made = LaunchWithFullDisk("/member/snap/db.defrag", 256 * 1024, &cleanup);
  ASSERT_TRUE(made.ok()) << made.status();
  ServerProcess& p = **made;
  std::map<std::string, Ack> acked;
  {
    AckedWriters w({p.Endpoint()}, 4, 1);
    ASSERT_TRUE(PollUntil([&] { return w.acked().size() > 4000; }, absl::Seconds(60)));
    pb::DefragmentRequest req;
    pb::DefragmentResponse resp;
    grpc::Status st = pb::Maintenance::NewStub(NewChannel(p.Endpoint()))
                          ->Defragment(ContextWithDeadline(milliseconds(30000)).get(), req, &resp);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.error_message().find("db.defrag"), std::string::npos) << st.error_message();
    EXPECT_NE(st.error_message().find("No space left on device"), std::string::npos)
        << st.error_message();
    const size_t before = w.acked().size();
    EXPECT_TRUE(PollUntil([&] { return w.acked().size() > before + 200; }, absl::Seconds(30)))
        << "the member stopped serving writes after the failed defragmentation";
    ASSERT_TRUE(p.Running());
    ASSERT_TRUE(PowerOff(p, /*crash_only=*/true, false, 0).ok());
    w.Stop();
    acked = w.acked();
  }
  EXPECT_FALSE(std::filesystem::exists(p.data_dir() + "/member/snap/db.defrag"));
  p.set_extra_env(ShimEnvFor(p));
  absl::Status st = p.Restart(absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st << "\n" << p.LogTail();
  absl::StatusOr<Dump> d = DumpAll(p.Endpoint(), true, milliseconds(10000));
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectAllAcked(*d, acked, "after the failed defragmentation");
  if (::testing::Test::HasFailure()) p.set_keep_temp_dir(true);
}

// The disk fills under the database itself: the backend commit fails, the member stops with a
// log line naming the file and the error, and restarted with room it has every acknowledged
// write (the WAL holds what the failed commit did not).
TEST(PowerLossTest, FullDiskUnderTheDatabaseStopsTheMemberAndLosesNothing) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  JournalCleanup cleanup;
  auto made = LaunchWithFullDisk("/member/snap/db", 2 * 1024 * 1024, &cleanup);
  ASSERT_TRUE(made.ok()) << made.status();
  ServerProcess& p = **made;
  std::map<std::string, Ack> acked;
  {
    AckedWriters w({p.Endpoint()}, 4, 2);
    EXPECT_TRUE(WaitExited(p, absl::Seconds(120))) << "the member did not stop\n" << p.LogTail();
    w.Stop();
    acked = w.acked();
  }
  ASSERT_FALSE(p.Running());
  EXPECT_TRUE(WIFEXITED(p.last_wait_status()) && WEXITSTATUS(p.last_wait_status()) != 0)
      << "status " << p.last_wait_status();
  const std::string log = p.LogTail(400);
  EXPECT_NE(log.find("cannot commit batch to " + p.data_dir() + "/member/snap/db"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;
  p.set_extra_env(ShimEnvFor(p));
  absl::Status st = p.Restart(absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st << "\n" << p.LogTail();
  absl::StatusOr<Dump> d = DumpAll(p.Endpoint(), true, milliseconds(10000));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_GT(acked.size(), 1000u);
  ExpectAllAcked(*d, acked, "after the full disk");
  if (::testing::Test::HasFailure()) p.set_keep_temp_dir(true);
}

// ---- A conf change right after the snapshot a follower installs (finding 4) ----------------

int MemberCount(const std::string& ep) {
  pb::MemberListRequest req;
  pb::MemberListResponse resp;
  grpc::Status st =
      pb::Cluster::NewStub(NewChannel(ep))->MemberList(ContextWithDeadline(kRpc).get(), req, &resp);
  return st.ok() ? resp.members_size() : -1;
}

uint64_t Applied(const std::string& ep) {
  absl::StatusOr<pb::StatusResponse> s = MemberStatus(ep, kRpc);
  return s.ok() ? s->raftappliedindex() : 0;
}

// The follower's disk is slow (each fsync of its database takes seconds, so a backend commit is
// in flight when the snapshot arrives and the install waits for it). While it is cut off, the
// leader snapshots and compacts past it, and right after its newest snapshot a learner is
// added; the leader commits its database only at snapshots, so the database it sends does not
// hold the learner. On ec3f637 the follower applied that conf change to its member list on the
// raft thread while the install waited, and the install then dropped the staged write and
// reloaded the member list from the leader's database: the learner was gone for good (a later
// snapshot made it permanent). Now the applier applies it after the install, in log order.
TEST(PowerLossTest, ConfChangeRightAfterASnapshotReachesAFollowerThatInstallsIt) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  if (std::string why = EnablePeerFaults(); !why.empty()) GTEST_SKIP() << why;
  JournalCleanup cleanup;
  // ETCD_BACKEND_BATCH_INTERVAL rather than the flag, so that the follower's restart below can
  // drop it (back to 100 ms).
  ClusterOptions o;
  o.binary = BinaryUnderTest();
  o.size = 3;
  o.extra_flags = {"--snapshot-count=500", "--experimental-snapshot-catchup-entries=20",
                   "--backend-batch-limit=100000000", "--strict-reconfig-check=false"};
  o.before_launch = [](ServerProcess* p) { p->set_extra_env({"ETCD_BACKEND_BATCH_INTERVAL=10m"}); };
  auto made = FaultCluster::Start(o);
  ASSERT_TRUE(made.ok()) << made.status();
  FaultCluster& c = **made;
  const int leader = c.WaitLeader(absl::Seconds(15));
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % 3;
  const int other = 3 - leader - follower;
  ServerProcess& f = c.member(follower);
  cleanup.Add(f);
  ASSERT_TRUE(f.Stop().ok());
  f.set_extra_env(ShimEnvFor(f, {"ETCDPP_POWERLOSS_DELAY_SYNC=/member/snap/db:5000"}));
  ASSERT_TRUE(f.Restart(absl::Seconds(60)).ok()) << f.LogTail();
  const std::string lep = c.member(leader).Endpoint();
  {
    AckedWriters w({lep}, 2, 7);  // the follower applies these and starts a (slow) backend commit
    std::this_thread::sleep_for(milliseconds(300));
  }
  ASSERT_TRUE(c.CutOff(follower, {leader, other}).ok());
  const uint64_t cut_at = Applied(lep);
  {
    AckedWriters w({lep}, 8, 8, "pl/1");
    ASSERT_TRUE(PollUntil([&] { return Applied(lep) > cut_at + 1100; }, absl::Seconds(60)));
  }
  // Right after the leader's next snapshot: the learner.
  const uint64_t applied = Applied(lep);
  ASSERT_TRUE(PollUntil(
      [&] {
        if (Applied(lep) / 500 > applied / 500) return true;
        pb::PutRequest req;
        req.set_key("edge");
        pb::PutResponse resp;
        (void)KvStub(lep)->Put(ContextWithDeadline(kRpc).get(), req, &resp);
        return false;
      },
      absl::Seconds(60), milliseconds(1)));
  pb::MemberAddRequest add;
  add.add_peerurls("http://127.0.0.1:1");  // never started
  add.set_islearner(true);
  pb::MemberAddResponse added;
  grpc::Status st = pb::Cluster::NewStub(NewChannel(lep))
                        ->MemberAdd(ContextWithDeadline(kRpc).get(), add, &added);
  ASSERT_TRUE(st.ok()) << StatusString(st);
  ASSERT_TRUE(c.CutOff(follower, {}).ok());

  const uint64_t leader_applied = Applied(lep);
  ASSERT_TRUE(PollUntil([&] { return Applied(f.Endpoint()) >= leader_applied; }, absl::Seconds(90)))
      << f.LogTail();
  EXPECT_NE(f.LogTail(400).find("applied snapshot"), std::string::npos)
      << "the follower installed no snapshot: the test tested nothing";
  EXPECT_EQ(MemberCount(lep), 4);
  EXPECT_EQ(MemberCount(f.Endpoint()), 4)
      << "the follower lost the learner added after the snapshot";
  if (::testing::Test::HasFailure()) c.KeepTempDirs();
}

// ---- Disk faults on one member of 1 and of 3 ------------------------------------------------

struct DiskFault {
  const char* name;
  const char* env;       // the shim's fault, on member m0 only
  bool stops;            // the member must stop (else it keeps serving, slowly)
  const char* log_says;  // what its log must say when it stops
};

constexpr DiskFault kDiskFaults[] = {
    // fsync errors are not retried: the member stops and never acknowledges what it could not
    // sync (the shim's failed sync syncs nothing, so the power loss below undoes it all).
    {"WalSyncFails", "ETCDPP_POWERLOSS_FAIL_SYNC=.wal:300", true, "nput/output error"},
    {"DatabaseSyncFails", "ETCDPP_POWERLOSS_FAIL_SYNC=/member/snap/db:40", true,
     "nput/output error"},
    {"WalDiskFull", "ETCDPP_POWERLOSS_DISK_FULL=.wal:524288", true, "No space left on device"},
    {"DatabaseDiskFull", "ETCDPP_POWERLOSS_DISK_FULL=/member/snap/db:1048576", true,
     "No space left on device"},
    {"SlowWalDisk", "ETCDPP_POWERLOSS_DELAY_SYNC=.wal:50", false, ""},
    {"SlowDatabaseDisk", "ETCDPP_POWERLOSS_DELAY_SYNC=/member/snap/db:1000", false, ""},
};

class DiskFaultTest : public ::testing::TestWithParam<std::tuple<DiskFault, int>> {};

// Member m0's disk fails (or is slow) under write load. A failing disk stops it with the error
// in its log; the others (with 3 members) keep serving. Then m0 loses power (what it never
// synced is undone), comes back on a good disk, and every acknowledged write is there, on every
// member.
TEST_P(DiskFaultTest, MemberRestartsWithEveryAcknowledgedWrite) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  const DiskFault& fault = std::get<0>(GetParam());
  const int members = std::get<1>(GetParam());
  JournalCleanup cleanup;
  ClusterOptions o = ShimCluster({}, &cleanup);
  o.size = members;
  o.before_launch = [&cleanup, &fault](ServerProcess* p) {
    cleanup.Add(*p);
    std::vector<std::string> env;
    if (p->config().name == "m0") env.push_back(fault.env);
    p->set_extra_env(ShimEnvFor(*p, env));
  };
  auto made = FaultCluster::Start(o);
  ASSERT_TRUE(made.ok()) << made.status();
  FaultCluster& c = **made;
  ServerProcess& m0 = c.member(0);
  std::map<std::string, Ack> acked;
  {
    AckedWriters w(Endpoints(c), 4, 7);
    if (fault.stops) {
      ASSERT_TRUE(WaitExited(m0, absl::Seconds(120))) << "m0 did not stop\n" << m0.LogTail();
      EXPECT_TRUE(WIFEXITED(m0.last_wait_status()) && WEXITSTATUS(m0.last_wait_status()) != 0)
          << "status " << m0.last_wait_status();
      const std::string log = m0.LogTail(400);
      EXPECT_NE(log.find(fault.log_says), std::string::npos) << log;
    } else {
      EXPECT_TRUE(PollUntil([&] { return w.acked().size() > 500; }, absl::Seconds(120)));
    }
    if (members > 1) {
      const size_t before = w.acked().size();
      EXPECT_TRUE(PollUntil([&] { return w.acked().size() > before + 300; }, absl::Seconds(60)))
          << "the other members stopped serving";
    }
    ASSERT_TRUE(PowerOff(m0, /*crash_only=*/false, /*torn=*/false, 7).ok());
    w.Stop();
    acked = w.acked();
  }
  EXPECT_GT(acked.size(), 100u);
  m0.set_extra_env(ShimEnvFor(m0));
  absl::Status st = m0.Restart(absl::Seconds(60));
  ASSERT_TRUE(st.ok()) << st << "\n" << m0.LogTail();
  ExpectConvergedWithEveryAck(c, acked);
  if (::testing::Test::HasFailure()) c.KeepTempDirs();
}

INSTANTIATE_TEST_SUITE_P(Faults, DiskFaultTest,
                         ::testing::Combine(::testing::ValuesIn(kDiskFaults),
                                            ::testing::Values(1, 3)),
                         [](const ::testing::TestParamInfo<std::tuple<DiskFault, int>>& i) {
                           return absl::StrCat(std::get<0>(i.param).name, "Of",
                                               std::get<1>(i.param), "Members");
                         });

}  // namespace
}  // namespace etcdpp::testing
