// failpoint_process_test: every named failpoint (common/failpoint.h) crashes a member of a
// 3-member etcdpp cluster under write load, and the cluster loses nothing.
//
// For each failpoint: the cluster starts, client threads put fresh keys to every member, one
// follower (the victim) is restarted with GOFAIL_FAILPOINTS=<name>=<terms> (a panic, after a
// count of "off" hits for the failpoints that every write reaches), and the test drives it to
// the failpoint's moment (load alone, a compaction, a defragmentation, a snapshot from the
// leader, a conf change, a watch, or leadership moved to it) until it dies there: exit status
// 2 and "failpoint panic: <name>" in its log (or, for the return(EIO) cases, the member stops
// on the I/O error: exit status 1 and the error in its log). Restarted without the failpoint, it
// catches up: every member serves the same keys at the same revision, with the same HashKV (etcd's
// corruption check), and every acknowledged put is there at its revision.
//
// Needs a failpoint build (-DETCDPP_FAILPOINTS=ON, or -DETCDPP_TEST_HOOKS=ON as
// scripts/test.sh builds); skipped otherwise. ctest -L failpoint runs it.

#include <sys/wait.h>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/failpoint.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/acked_writes.h"
#include "harness/binaries.h"
#include "harness/cluster_ops.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;

constexpr milliseconds kRpc{3000};
constexpr int kMaxTriggerRounds = 150;  // x kTriggerEvery: how long the victim may take to die
constexpr milliseconds kTriggerEvery{200};

// What takes the victim to the failpoint's moment.
enum class Trigger {
  kLoad,            // the writers' puts
  kCompact,         // compactions, proposed through another member
  kCompactBatches,  // compactions of more than one batch of revisions (1000)
  kDefrag,          // Defragment on the victim
  kSnapshot,        // the leader sends it a snapshot: the log it missed was compacted away
  kConfChange,      // a member update (the same peer URL), proposed through another member
  kWatch,           // a watch on the victim
  kLeadership,      // leadership moved to the victim
};

struct Scenario {
  const char* failpoint;
  Trigger trigger;
  const char* terms;
};

// Every failpoint of ETCDPP_FAILPOINT_LIST (CoversEveryFailpoint checks it).
constexpr Scenario kScenarios[] = {
    {"raftBeforeLeaderSend", Trigger::kLeadership, "panic"},
    {"raftBeforeSaveSnap", Trigger::kSnapshot, "panic"},
    {"raftAfterSaveSnap", Trigger::kSnapshot, "panic"},
    {"raftBeforeSave", Trigger::kLoad, "20*off->panic"},
    {"raftAfterSave", Trigger::kLoad, "20*off->panic"},
    {"raftBeforeApplySnap", Trigger::kSnapshot, "panic"},
    {"raftAfterApplySnap", Trigger::kSnapshot, "panic"},
    {"raftBeforeFollowerSend", Trigger::kLoad, "20*off->panic"},
    {"raftBeforeAdvance", Trigger::kLoad, "20*off->panic"},
    {"raftAfterWALRelease", Trigger::kSnapshot, "panic"},
    {"applyBeforeOpenSnapshot", Trigger::kSnapshot, "panic"},
    {"applyAfterOpenSnapshot", Trigger::kSnapshot, "panic"},
    {"walBeforeSync", Trigger::kLoad, "20*off->panic"},
    {"walAfterSync", Trigger::kLoad, "20*off->panic"},
    {"beforeCommit", Trigger::kLoad, "3*off->panic"},
    {"afterCommit", Trigger::kLoad, "3*off->panic"},
    {"beforeStartDBTxn", Trigger::kLoad, "3*off->panic"},
    {"afterStartDBTxn", Trigger::kLoad, "3*off->panic"},
    {"beforeApplyOneEntryNormal", Trigger::kLoad, "20*off->panic"},
    {"beforeApplyOneConfChange", Trigger::kConfChange, "panic"},
    {"compactBeforeCommitScheduledCompact", Trigger::kCompact, "panic"},
    {"compactAfterCommitScheduledCompact", Trigger::kCompact, "panic"},
    {"compactBeforeCommitBatch", Trigger::kCompactBatches, "panic"},
    {"compactAfterCommitBatch", Trigger::kCompactBatches, "panic"},
    {"compactBeforeSetFinishedCompact", Trigger::kCompact, "panic"},
    {"compactAfterSetFinishedCompact", Trigger::kCompact, "panic"},
    {"defragBeforeCopy", Trigger::kDefrag, "panic"},
    {"defragBeforeRename", Trigger::kDefrag, "panic"},
    {"beforeSendWatchResponse", Trigger::kWatch, "panic"},
    // An I/O error where the WAL or a snapshot is written: the member stops (exit status 1, the
    // error in its log) without acknowledging what it could not persist, and restarts whole.
    // (A few only: a member that stops on an error exits after its pending requests time out,
    // about 7 s, where a panic exits at once.)
    {"walAfterSync", Trigger::kLoad, "20*off->return(EIO)"},
    {"raftBeforeSave", Trigger::kLoad, "20*off->return(EIO)"},
    {"raftBeforeSaveSnap", Trigger::kSnapshot, "return(EIO)"},
};

bool Returns(const Scenario& s) { return absl::StrContains(s.terms, "return("); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t RevisionOf(const std::string& endpoint) {
  absl::StatusOr<pb::StatusResponse> s = MemberStatus(endpoint, kRpc);
  return s.ok() ? s->header().revision() : 0;
}

class FailpointCrashTest : public ::testing::TestWithParam<Scenario> {
 protected:
  void SetUp() override {
    if (!failpoint::kBuiltIn) GTEST_SKIP() << "a build without failpoints (scripts/test.sh)";
    if (std::string why = WhyNotRunnable(FlavorByName("etcdpp")); !why.empty()) {
      GTEST_SKIP() << why;
    }
    ClusterOptions o;
    o.binary = BinaryUnderTest();
    // Two txns of 600 puts make a compaction of more than one batch; snapshots come often and
    // keep a short log, so that a member down for a few hundred writes gets one.
    o.extra_flags = {"--max-txn-ops=1000", "--snapshot-count=200",
                     "--experimental-snapshot-catchup-entries=20"};
    auto c = FaultCluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(*c);
    const int leader = cluster_->WaitLeader(absl::Seconds(10));
    ASSERT_GE(leader, 0);
    victim_ = (leader + 1) % cluster_->size();
    other_ = (leader + 2) % cluster_->size();  // a follower that stays up
    leader_ = leader;
  }
  void TearDown() override {
    if (watch_ctx_) watch_ctx_->TryCancel();
    watch_.reset();
    if (cluster_ && HasFailure()) cluster_->KeepTempDirs();
  }

  // Writes while the victim is down until the leader's log has moved past it by several
  // snapshots (the writers alone, bounded).
  void WaitSnapshotsWhileDown() {
    const std::string ep = cluster_->member(other_).Endpoint();
    const int64_t start = RevisionOf(ep);
    ASSERT_TRUE(PollUntil([&] { return RevisionOf(ep) > start + 600; }, absl::Seconds(60)))
        << "the writers did not move the revision past " << start + 600;
  }

  // One round of the trigger; errors are expected while the victim starts or dies.
  void TriggerRound(Trigger t) {
    ServerProcess& v = cluster_->member(victim_);
    const std::string healthy = cluster_->member(other_).Endpoint();
    switch (t) {
      case Trigger::kLoad:
      case Trigger::kSnapshot:
        return;
      case Trigger::kCompactBatches:
        PutTxn(healthy, 600);
        PutTxn(healthy, 600);
        [[fallthrough]];
      case Trigger::kCompact: {
        pb::CompactionRequest req;
        req.set_revision(RevisionOf(healthy));
        pb::CompactionResponse resp;
        (void)KvStub(healthy)->Compact(ContextWithDeadline(kRpc).get(), req, &resp);
        return;
      }
      case Trigger::kDefrag: {
        pb::DefragmentRequest req;
        pb::DefragmentResponse resp;
        (void)pb::Maintenance::NewStub(NewChannel(v.Endpoint()))
            ->Defragment(ContextWithDeadline(kRpc).get(), req, &resp);
        return;
      }
      case Trigger::kConfChange: {
        pb::MemberUpdateRequest req;
        req.set_id(cluster_->MemberId(other_));
        req.add_peerurls(cluster_->member(other_).PeerUrl());
        pb::MemberUpdateResponse resp;
        (void)pb::Cluster::NewStub(NewChannel(healthy))
            ->MemberUpdate(ContextWithDeadline(kRpc).get(), req, &resp);
        return;
      }
      case Trigger::kWatch:
        if (!watch_) OpenWatch(v.Endpoint());
        return;
      case Trigger::kLeadership: {
        pb::MoveLeaderRequest req;
        req.set_targetid(victim_id_);
        pb::MoveLeaderResponse resp;
        const int lead = cluster_->WaitLeader(absl::Seconds(2));
        if (lead < 0 || lead == victim_) return;
        (void)pb::Maintenance::NewStub(NewChannel(cluster_->member(lead).Endpoint()))
            ->MoveLeader(ContextWithDeadline(kRpc).get(), req, &resp);
        return;
      }
    }
  }

  // A txn of n puts of fresh keys; acknowledged ones join the checked set.
  void PutTxn(const std::string& endpoint, int n) {
    pb::TxnRequest req;
    const std::string prefix = absl::StrCat("txn/", txns_++, "/");
    for (int i = 0; i < n; ++i) {
      pb::PutRequest* put = req.add_success()->mutable_request_put();
      put->set_key(absl::StrCat(prefix, i));
      put->set_value("v");
    }
    pb::TxnResponse resp;
    if (KvStub(endpoint)->Txn(ContextWithDeadline(kRpc).get(), req, &resp).ok()) {
      for (int i = 0; i < n; ++i)
        txn_acks_[absl::StrCat(prefix, i)] = {"v", resp.header().revision()};
    }
  }

  void OpenWatch(const std::string& endpoint) {
    watch_ctx_ = std::make_unique<grpc::ClientContext>();
    watch_ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    watch_stub_ = pb::Watch::NewStub(NewChannel(endpoint));
    watch_ = watch_stub_->Watch(watch_ctx_.get());
    pb::WatchRequest req;
    req.mutable_create_request()->set_key(std::string(1, '\0'));
    req.mutable_create_request()->set_range_end(std::string(1, '\0'));
    (void)watch_->Write(req);
  }

  // Every member reports the same HashKV at `revision`.
  void ExpectSameHashKv(int64_t revision) {
    std::vector<pb::HashKVResponse> hashes;
    for (int i = 0; i < cluster_->size(); ++i) {
      pb::HashKVRequest req;
      req.set_revision(revision);
      pb::HashKVResponse resp;
      grpc::Status st = pb::Maintenance::NewStub(NewChannel(cluster_->member(i).Endpoint()))
                            ->HashKV(ContextWithDeadline(kRpc).get(), req, &resp);
      ASSERT_TRUE(st.ok()) << "member " << i << ": " << StatusString(st);
      hashes.push_back(resp);
    }
    for (size_t i = 1; i < hashes.size(); ++i) {
      EXPECT_EQ(hashes[i].hash(), hashes[0].hash()) << "member " << i << " at " << revision;
      EXPECT_EQ(hashes[i].compact_revision(), hashes[0].compact_revision()) << "member " << i;
    }
  }

  std::unique_ptr<FaultCluster> cluster_;
  int leader_ = 0, victim_ = 0, other_ = 0;
  uint64_t victim_id_ = 0;
  int txns_ = 0;
  std::map<std::string, Ack> txn_acks_;
  std::unique_ptr<grpc::ClientContext> watch_ctx_;
  std::unique_ptr<pb::Watch::Stub> watch_stub_;
  std::unique_ptr<grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>> watch_;
};

TEST_P(FailpointCrashTest, MemberCrashesThereAndRestartsWithEveryAcknowledgedWrite) {
  const Scenario& s = GetParam();
  ServerProcess& v = cluster_->member(victim_);
  victim_id_ = cluster_->MemberId(victim_);
  ASSERT_NE(victim_id_, 0u);
  AckedWriters writers(Endpoints(*cluster_), 4, 1, absl::StrCat("fp/", s.failpoint));

  ASSERT_TRUE(v.Stop().ok());
  if (s.trigger == Trigger::kSnapshot) WaitSnapshotsWhileDown();
  if (HasFatalFailure()) return;
  v.set_extra_env({absl::StrCat("GOFAIL_FAILPOINTS=", s.failpoint, "=", s.terms)});
  ASSERT_TRUE(v.Launch().ok());
  const bool needs_ready = s.trigger == Trigger::kDefrag || s.trigger == Trigger::kWatch ||
                           s.trigger == Trigger::kLeadership;
  if (needs_ready) ASSERT_TRUE(v.WaitReady(absl::Seconds(30)).ok()) << v.LogTail();
  for (int round = 0; round < kMaxTriggerRounds && v.Running(); ++round) {
    TriggerRound(s.trigger);
    std::this_thread::sleep_for(kTriggerEvery);
  }
  ASSERT_FALSE(v.Running()) << s.failpoint << " never fired\n" << v.LogTail();
  const int ws = v.last_wait_status();
  const int want_status = Returns(s) ? 1 : 2;  // main()'s "the member stops", or the panic
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == want_status) << "wait status " << ws << "\n"
                                                               << v.LogTail();
  const std::string why = Returns(s) ? absl::StrCat("failpoint ", s.failpoint, ": return(EIO)")
                                     : absl::StrCat("failpoint panic: ", s.failpoint);
  EXPECT_NE(ReadFile(v.log_path()).find(why), std::string::npos) << v.LogTail();

  // Restarted without the failpoint, under load still.
  v.set_extra_env({});
  ASSERT_TRUE(v.Restart(absl::Seconds(30)).ok()) << v.LogTail();
  ASSERT_TRUE(PollUntil([&] { return RevisionOf(v.Endpoint()) > 0; }, absl::Seconds(10)));
  writers.Stop();
  std::map<std::string, Ack> acked = writers.acked();
  ASSERT_FALSE(acked.empty());
  acked.insert(txn_acks_.begin(), txn_acks_.end());
  ExpectConvergedWithEveryAck(*cluster_, acked);
  ExpectSameHashKv(RevisionOf(cluster_->member(leader_).Endpoint()));
}

INSTANTIATE_TEST_SUITE_P(EveryFailpoint, FailpointCrashTest, ::testing::ValuesIn(kScenarios),
                         [](const ::testing::TestParamInfo<Scenario>& p) {
                           return absl::StrCat(p.param.failpoint,
                                               Returns(p.param) ? "_return" : "");
                         });

TEST(FailpointListTest, CoversEveryFailpoint) {
  std::set<std::string> tested;
  for (const Scenario& s : kScenarios) tested.insert(s.failpoint);
  for (absl::string_view name : failpoint::Names()) {
    EXPECT_TRUE(tested.count(std::string(name))) << name << " has no crash scenario here";
  }
  EXPECT_EQ(tested.size(), failpoint::Names().size());
}

}  // namespace
}  // namespace etcdpp::testing
