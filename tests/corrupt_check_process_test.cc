// corrupt_check_process_test: etcd 3.4's corruption checks on real 3-member clusters.
//
//  - NoFalseAlarm (etcdpp and the reference etcd): with --experimental-initial-corrupt-check
//    and --experimental-corrupt-check-time=1s on every member, a healthy cluster starts, a
//    restarted member passes the initial check, and several periodic rounds raise no alarm.
//  - InitialCheckRefusesAnInconsistentMember (etcdpp): one member's stored value is changed in
//    its LMDB file while it is down; restarted, it refuses to start with etcd's error.
//  - PeriodicCheckRaisesCorrupt (etcdpp): the same change on a follower; the leader's periodic
//    check raises CORRUPT for that follower, and writes then fail with "corrupt cluster".
//
// Every wait is bounded; no assertion depends on timing beyond those bounds.

#include <grpcpp/grpcpp.h>
#include <lmdb.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster.h"
#include "harness/cluster_grpc.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;

constexpr milliseconds kRpcTimeout{5000};
constexpr char kValue[] = "consistent-value";
constexpr char kChanged[] = "corrupted!-value";  // same length: the record stays well formed

grpc::Status Put(const std::shared_ptr<grpc::Channel>& ch, const std::string& k,
                 const std::string& v) {
  pb::PutRequest req;
  req.set_key(k);
  req.set_value(v);
  pb::PutResponse resp;
  auto ctx = ContextWithDeadline(kRpcTimeout);
  return pb::KV::NewStub(ch)->Put(ctx.get(), req, &resp);
}

std::vector<pb::AlarmMember> Alarms(const std::shared_ptr<grpc::Channel>& ch) {
  pb::AlarmRequest req;
  req.set_action(pb::AlarmRequest::GET);
  pb::AlarmResponse resp;
  auto ctx = ContextWithDeadline(kRpcTimeout);
  grpc::Status st = pb::Maintenance::NewStub(ch)->Alarm(ctx.get(), req, &resp);
  EXPECT_TRUE(st.ok()) << StatusString(st);
  return {resp.alarms().begin(), resp.alarms().end()};
}

uint64_t MemberId(const std::shared_ptr<grpc::Channel>& ch) {
  pb::StatusRequest req;
  pb::StatusResponse resp;
  auto ctx = ContextWithDeadline(kRpcTimeout);
  grpc::Status st = pb::Maintenance::NewStub(ch)->Status(ctx.get(), req, &resp);
  EXPECT_TRUE(st.ok()) << StatusString(st);
  return resp.header().member_id();
}

// Replaces `from` by `to` (same length) in every value of the `key` database of the stopped
// member's backend; returns how many records changed, or -1 on an LMDB error.
int ChangeStoredValues(const std::string& data_dir, const std::string& from,
                       const std::string& to) {
  const std::string path = data_dir + "/member/snap/db";
  MDB_env* env = nullptr;
  if (mdb_env_create(&env) != 0) return -1;
  mdb_env_set_maxdbs(env, 32);
  int changed = 0;
  MDB_txn* txn = nullptr;
  MDB_dbi dbi;
  MDB_cursor* cur = nullptr;
  if (mdb_env_open(env, path.c_str(), MDB_NOSUBDIR, 0644) != 0 ||
      mdb_txn_begin(env, nullptr, 0, &txn) != 0 || mdb_dbi_open(txn, "key", 0, &dbi) != 0 ||
      mdb_cursor_open(txn, dbi, &cur) != 0) {
    if (txn != nullptr) mdb_txn_abort(txn);
    mdb_env_close(env);
    return -1;
  }
  MDB_val k, v;
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    std::string value(static_cast<const char*>(v.mv_data), v.mv_size);
    size_t at = value.find(from);
    if (at == std::string::npos) continue;
    value.replace(at, to.size(), to);
    MDB_val nv{value.size(), value.data()};
    if (mdb_cursor_put(cur, &k, &nv, MDB_CURRENT) != 0) {
      changed = -1;
      break;
    }
    ++changed;
  }
  mdb_cursor_close(cur);
  if (changed < 0 || mdb_txn_commit(txn) != 0) {
    if (changed < 0) mdb_txn_abort(txn);
    changed = -1;
  }
  mdb_env_close(env);
  return changed;
}

class CorruptCheckTest : public ::testing::TestWithParam<std::string> {
 protected:
  void StartCluster(const std::vector<std::string>& flags) {
    ServerFlavor flavor = FlavorByName(GetParam());
    if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
    auto started = Cluster::Start(flavor.binary, 3, flags);
    ASSERT_TRUE(started.ok()) << started.status();
    cluster_ = std::move(*started);
    for (int i = 0; i < 3; ++i) {
      channels_.push_back(NewChannel(cluster_->member(i).Endpoint()));
      ASSERT_TRUE(WaitConnected(*channels_.back(), milliseconds(5000)));
    }
  }
  void TearDown() override {
    if (cluster_ && HasFailure()) cluster_->KeepTempDirs();
  }

  // Writes a few keys through member 0, then stops follower `i` and changes its stored copy of
  // one value.
  void CorruptFollower(int i) {
    for (int n = 0; n < 10; ++n) {
      grpc::Status st = Put(channels_[0], "k" + std::to_string(n), n == 5 ? kValue : "v");
      ASSERT_TRUE(st.ok()) << StatusString(st);
    }
    // Every member has applied the writes before the follower stops (Stop commits its backend).
    std::this_thread::sleep_for(milliseconds(500));
    ASSERT_TRUE(cluster_->member(i).Stop().ok());
    ASSERT_EQ(ChangeStoredValues(cluster_->member(i).data_dir(), kValue, kChanged), 1);
  }

  // A follower's index, or -1.
  int Follower() {
    int leader = FindLeader(*cluster_);
    return leader < 0 ? -1 : (leader + 1) % 3;
  }

  std::unique_ptr<Cluster> cluster_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

TEST_P(CorruptCheckTest, NoFalseAlarm) {
  StartCluster({"--experimental-initial-corrupt-check", "--experimental-corrupt-check-time=1s"});
  if (IsSkipped()) return;
  for (int n = 0; n < 20; ++n) ASSERT_TRUE(Put(channels_[n % 3], "k", std::to_string(n)).ok());
  const int f = Follower();
  ASSERT_GE(f, 0);
  ASSERT_TRUE(cluster_->member(f).Stop().ok());
  ASSERT_TRUE(cluster_->member(f).Restart(absl::Seconds(30)).ok()) << cluster_->member(f).LogTail();
  channels_[f] = NewChannel(cluster_->member(f).Endpoint());
  ASSERT_TRUE(WaitConnected(*channels_[f], milliseconds(5000)));
  for (int n = 0; n < 20; ++n) ASSERT_TRUE(Put(channels_[n % 3], "k2", std::to_string(n)).ok());
  std::this_thread::sleep_for(milliseconds(3500));  // three periodic rounds
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Alarms(channels_[i]).empty()) << "member " << i;
  grpc::Status st = Put(channels_[0], "after", "v");
  EXPECT_TRUE(st.ok()) << StatusString(st);
}

TEST_P(CorruptCheckTest, InitialCheckRefusesAnInconsistentMember) {
  if (GetParam() != "etcdpp") GTEST_SKIP() << "the change is made in etcdpp's LMDB backend";
  StartCluster({"--experimental-initial-corrupt-check"});
  if (IsSkipped()) return;
  const int f = Follower();
  ASSERT_GE(f, 0);
  CorruptFollower(f);
  if (HasFatalFailure()) return;
  ServerProcess& m = cluster_->member(f);
  ASSERT_TRUE(m.Launch().ok());
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (m.Running() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_FALSE(m.Running()) << m.LogTail();
  EXPECT_TRUE(WIFEXITED(m.last_wait_status()) && WEXITSTATUS(m.last_wait_status()) != 0);
  EXPECT_NE(m.LogTail().find("found data inconsistency with peers"), std::string::npos)
      << m.LogTail();
  EXPECT_NE(m.LogTail().find("found different hash values from remote peer"), std::string::npos);
  // The others go on serving.
  grpc::Status st = Put(channels_[(f + 1) % 3], "after", "v");
  EXPECT_TRUE(st.ok()) << StatusString(st);
}

TEST_P(CorruptCheckTest, PeriodicCheckRaisesCorrupt) {
  if (GetParam() != "etcdpp") GTEST_SKIP() << "the change is made in etcdpp's LMDB backend";
  StartCluster({"--experimental-corrupt-check-time=1s"});
  if (IsSkipped()) return;
  const int f = Follower();
  ASSERT_GE(f, 0);
  const uint64_t corrupt_id = MemberId(channels_[f]);
  CorruptFollower(f);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(cluster_->member(f).Restart(absl::Seconds(30)).ok()) << cluster_->member(f).LogTail();
  channels_[f] = NewChannel(cluster_->member(f).Endpoint());
  const int other = (f + 1) % 3;
  std::vector<pb::AlarmMember> alarms;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (alarms.empty() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(250));
    alarms = Alarms(channels_[other]);
  }
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].alarm(), pb::CORRUPT);
  EXPECT_EQ(alarms[0].memberid(), corrupt_id);
  grpc::Status st = Put(channels_[other], "after", "v");
  EXPECT_EQ(st.error_message(), "etcdserver: corrupt cluster") << StatusString(st);
}

INSTANTIATE_TEST_SUITE_P(Servers, CorruptCheckTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
