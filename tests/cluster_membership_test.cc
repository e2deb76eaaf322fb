// cluster_membership_test: membership changes and a partition on real processes.
//
//  - LearnerPromoteRemove (etcdpp and the reference etcd): add a 4th member as a learner;
//    promoting it before it caught up fails with etcd's "can only promote a learner member which
//    is in sync with leader"; a second learner is refused; the learner starts with
//    --initial-cluster-state existing, is promoted once caught up (promoting it again fails:
//    "can only promote a learner member"); removing another member makes that member shut
//    itself down; the three left converge.
//  - MinorityPartition (etcdpp, the peer fault switch; the reference can be partitioned only
//    with network namespaces): five members, the leader and one follower cut off from the other
//    three. The majority elects a leader and goes on writing; in the minority writes and
//    linearizable reads fail with etcd's errors after the request timeout, serializable reads
//    answer from the member's own (stale) store; after healing every member holds the same
//    keys, with the majority's writes and without the minority's.
//  - RefusesAForeignDataDir (etcdpp): a data dir started with flags that describe another
//    member or cluster is refused with a message that names both.

#include <sys/wait.h>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster_ops.h"
#include "harness/grpc_util.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;

const std::vector<std::string> kFastElections = {"--heartbeat-interval=50",
                                                 "--election-timeout=500"};
constexpr milliseconds kRpc{15000};

std::unique_ptr<pb::Cluster::Stub> ClusterStub(const std::string& endpoint) {
  return pb::Cluster::NewStub(NewChannel(endpoint));
}

grpc::Status AddMember(const std::string& ep, const std::string& peer_url, bool learner,
                       pb::MemberAddResponse* resp) {
  pb::MemberAddRequest req;
  req.add_peerurls(peer_url);
  req.set_islearner(learner);
  auto ctx = ContextWithDeadline(kRpc);
  return ClusterStub(ep)->MemberAdd(ctx.get(), req, resp);
}

grpc::Status Promote(const std::string& ep, uint64_t id) {
  pb::MemberPromoteRequest req;
  req.set_id(id);
  pb::MemberPromoteResponse resp;
  auto ctx = ContextWithDeadline(kRpc);
  return ClusterStub(ep)->MemberPromote(ctx.get(), req, &resp);
}

[[nodiscard]] absl::StatusOr<pb::MemberListResponse> ListMembers(const std::string& ep) {
  pb::MemberListResponse resp;
  auto ctx = ContextWithDeadline(kRpc);
  grpc::Status st = ClusterStub(ep)->MemberList(ctx.get(), pb::MemberListRequest{}, &resp);
  if (!st.ok()) return absl::UnavailableError(StatusString(st));
  return resp;
}

bool WaitExited(ServerProcess& p, absl::Duration timeout) {
  return PollUntil([&] { return !p.Running(); }, timeout, milliseconds(100));
}

class LearnerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LearnerTest, LearnerPromoteRemove) {
  ServerFlavor flavor = FlavorByName(GetParam());
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  auto cluster =
      FaultCluster::Start({.binary = flavor.binary, .size = 3, .extra_flags = kFastElections});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  FaultCluster& c = **cluster;
  const std::string ep = c.member(0).Endpoint();
  ASSERT_TRUE(Put(ep, "before", "1", kRpc).ok());

  // The learner: added while the cluster is healthy (etcd refuses a change until this member
  // has been connected to every voter for 5 s: "etcdserver: unhealthy cluster").
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok());
  const std::string peer_url = "http://127.0.0.1:" + std::to_string(*port);
  pb::MemberAddResponse added;
  grpc::Status st;
  for (int i = 0; i < 300; ++i) {  // bounded: 60 s
    st = AddMember(ep, peer_url, /*learner=*/true, &added);
    if (st.error_message() != "etcdserver: unhealthy cluster") break;
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(st.ok()) << StatusString(st);
  const uint64_t learner_id = added.member().id();
  EXPECT_TRUE(added.member().islearner());
  EXPECT_EQ(added.members_size(), 4);

  // Not started yet: nowhere near the leader's log.
  st = Promote(ep, learner_id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << StatusString(st);
  EXPECT_EQ(st.error_message(),
            "etcdserver: can only promote a learner member which is in sync with leader");
  pb::MemberAddResponse second;
  st = AddMember(ep, "http://127.0.0.1:1", /*learner=*/true, &second);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << StatusString(st);
  EXPECT_EQ(st.error_message(), "etcdserver: too many learner members in cluster");

  absl::StatusOr<ServerProcess*> learner =
      c.AddJoiningMember("learner", *port, c.InitialCluster() + ",learner=" + peer_url);
  ASSERT_TRUE(learner.ok()) << learner.status();
  ASSERT_TRUE((*learner)->Launch().ok());
  ASSERT_TRUE((*learner)->WaitReady(absl::Seconds(20)).ok()) << (*learner)->LogTail();
  // Status says what the member is (a learner answers Status; 3.4 has the field too).
  absl::StatusOr<pb::StatusResponse> status =
      MemberStatus((*learner)->Endpoint(), milliseconds(2000));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->islearner());
  if (GetParam() == "etcdpp") {  // 3.6's fields
    EXPECT_EQ(status->storageversion(), "3.6.0");
    EXPECT_GT(status->dbsizequota(), 0);
    EXPECT_GT(status->raftappliedindex(), 0u);
    EXPECT_FALSE(status->downgradeinfo().enabled());
  }

  // Promoted once caught up (bounded retries while it is not).
  for (int i = 0; i < 150; ++i) {
    st = Promote(ep, learner_id);
    if (st.ok()) break;
    ASSERT_EQ(st.error_message(),
              "etcdserver: can only promote a learner member which is in sync with leader")
        << StatusString(st);
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(st.ok()) << StatusString(st);
  st = Promote(ep, learner_id);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << StatusString(st);
  EXPECT_EQ(st.error_message(), "etcdserver: can only promote a learner member");
  absl::StatusOr<pb::MemberListResponse> list = ListMembers(ep);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->members_size(), 4);
  for (const pb::Member& m : list->members()) EXPECT_FALSE(m.islearner()) << m.name();
  // The promoted member says so once it has applied the promotion itself, which may be after
  // the leader answered (a slow member: under TSan, say).
  EXPECT_TRUE(PollUntil(
      [&] {
        status = MemberStatus((*learner)->Endpoint(), milliseconds(2000));
        return status.ok() && !status->islearner();
      },
      absl::Seconds(10), milliseconds(100)))
      << (status.ok() ? "still a learner" : status.status().ToString());

  // Remove a member other than the leader and the new one; it shuts itself down.
  int leader = c.WaitLeader(absl::Seconds(10));
  ASSERT_GE(leader, 0);
  const int gone = leader == 1 ? 2 : 1;
  pb::MemberRemoveRequest rm;
  rm.set_id(c.MemberId(gone));
  pb::MemberRemoveResponse rm_resp;
  for (int i = 0; i < 100; ++i) {
    auto ctx = ContextWithDeadline(kRpc);
    st = ClusterStub(ep)->MemberRemove(ctx.get(), rm, &rm_resp);
    if (st.error_message() != "etcdserver: unhealthy cluster") break;
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(st.ok()) << StatusString(st);
  EXPECT_EQ(rm_resp.members_size(), 3);
  EXPECT_TRUE(WaitExited(c.member(gone), absl::Seconds(20))) << "the removed member still runs";
  // ... and exits 0, as etcd does: a supervisor must not count it as a crash (e2e's cluster
  // close reports a non-zero exit as an error).
  const int ws = c.member(gone).last_wait_status();
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << "wait status " << ws;

  ASSERT_TRUE(Put((*learner)->Endpoint(), "after", "2", kRpc).ok());
  absl::StatusOr<std::vector<Dump>> dumps = c.WaitConverged(absl::Seconds(30));
  ASSERT_TRUE(dumps.ok()) << dumps.status();
  EXPECT_EQ(dumps->size(), 3u);
  EXPECT_EQ(dumps->front().kvs.size(), 2u);
  if (HasFailure()) c.KeepTempDirs();
}

INSTANTIATE_TEST_SUITE_P(Servers, LearnerTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

// ---- A minority cut off by the peer fault switch ----

TEST(PartitionTest, MinorityCommitsNothingAndServesOnlySerializableReads) {
  ServerFlavor flavor = FlavorByName("etcdpp");
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  if (std::string why = EnablePeerFaults(); !why.empty()) GTEST_SKIP() << why;
  auto cluster =
      FaultCluster::Start({.binary = flavor.binary, .size = 5, .extra_flags = kFastElections});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  FaultCluster& c = **cluster;
  const int old_leader = c.WaitLeader(absl::Seconds(10));
  ASSERT_GE(old_leader, 0);
  const int follower = (old_leader + 1) % 5;
  std::vector<int> minority = {old_leader, follower}, majority;
  for (int i = 0; i < 5; ++i) {
    if (i != old_leader && i != follower) majority.push_back(i);
  }
  for (int i = 0; i < 5; ++i) ASSERT_NE(c.MemberId(i), 0u);
  ASSERT_TRUE(Put(c.member(majority[0]).Endpoint(), "before", "1", kRpc).ok());
  ASSERT_TRUE(c.WaitConverged(absl::Seconds(10)).ok());

  for (int m : minority) ASSERT_TRUE(c.CutOff(m, majority).ok());
  for (int m : majority) ASSERT_TRUE(c.CutOff(m, minority).ok());

  // The majority elects a leader of its own (the switch is read every 100 ms; this also
  // waits for it to take effect).
  int new_leader = -1;
  for (int attempt = 0; attempt < 300 && new_leader < 0; ++attempt) {
    for (int m : majority) {
      absl::StatusOr<pb::StatusResponse> s =
          MemberStatus(c.member(m).Endpoint(), milliseconds(1000));
      if (s.ok() && s->leader() == s->header().member_id()) new_leader = m;
    }
    if (new_leader < 0) std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_GE(new_leader, 0) << "the majority elected no leader";
  // The minority, concurrently: a write on each member, a linearizable and a serializable read.
  const std::string f_ep = c.member(follower).Endpoint();
  grpc::Status put_f, put_l, lin_read;
  std::thread t1([&] { put_f = Put(f_ep, "minority/f", "x", milliseconds(20000)); });
  std::thread t2([&] {
    put_l = Put(c.member(old_leader).Endpoint(), "minority/l", "x", milliseconds(20000));
  });
  std::thread t3([&] {
    pb::RangeRequest req;
    req.set_key("before");
    pb::RangeResponse resp;
    auto ctx = ContextWithDeadline(milliseconds(20000));
    lin_read = KvStub(f_ep)->Range(ctx.get(), req, &resp);
  });

  int majority_writes = 0;
  for (int i = 0; i < 30; ++i) {
    grpc::Status st =
        Put(c.member(majority[i % 3]).Endpoint(), "majority/" + std::to_string(i), "y", kRpc);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    if (st.ok()) ++majority_writes;
  }
  absl::StatusOr<Dump> stale = DumpAll(f_ep, /*serializable=*/true, milliseconds(5000));
  ASSERT_TRUE(stale.ok()) << stale.status();
  for (const KvRecord& kv : stale->kvs)
    EXPECT_FALSE(absl::StartsWith(kv.key, "majority/")) << kv.key;
  t1.join();
  t2.join();
  t3.join();
  // Writes: "context deadline exceeded" if they waited for a leader the whole time, one of
  // etcd's "request timed out" errors if a leader (the old one, before it stepped down) had them.
  for (const grpc::Status* st : {&put_f, &put_l}) {
    EXPECT_FALSE(st->ok());
    EXPECT_TRUE(st->error_message() == "context deadline exceeded" ||
                absl::StartsWith(st->error_message(), "etcdserver: request timed out"))
        << StatusString(*st);
  }
  EXPECT_EQ(lin_read.error_code(), grpc::StatusCode::UNAVAILABLE) << StatusString(lin_read);
  EXPECT_EQ(lin_read.error_message(), "etcdserver: request timed out");

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.CutOff(i, {}).ok());
  absl::StatusOr<std::vector<Dump>> dumps = c.WaitConverged(absl::Seconds(30));
  ASSERT_TRUE(dumps.ok()) << dumps.status();
  std::set<std::string> keys;
  for (const KvRecord& kv : dumps->front().kvs) keys.insert(kv.key);
  EXPECT_EQ(static_cast<int>(keys.size()), 1 + majority_writes);
  EXPECT_FALSE(keys.contains("minority/f"));
  EXPECT_FALSE(keys.contains("minority/l"));
  if (HasFailure()) c.KeepTempDirs();
}

// ---- A data dir that belongs to another member or cluster ----

TEST(ForeignDataDirTest, RefusesADataDirOfAnotherClusterOrMember) {
  ServerFlavor flavor = FlavorByName("etcdpp");
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  auto first = ServerProcess::Start(flavor.binary, MemberConfig{.name = "a"});
  ASSERT_TRUE(first.ok()) << first.status();
  ServerProcess& a = **first;
  ASSERT_TRUE(Put(a.Endpoint(), "k", "v", kRpc).ok());
  ASSERT_TRUE(a.Stop().ok());

  struct Case {
    std::string what;
    MemberConfig cfg;
  };
  const std::string own = "a=" + a.PeerUrl();
  std::vector<Case> cases = {
      {"another cluster token",
       {.name = "a", .initial_cluster = own, .initial_cluster_token = "other-token"}},
      {"another --initial-cluster",
       {.name = "a", .initial_cluster = own + ",b=http://127.0.0.1:1"}},
  };
  for (Case& cs : cases) {
    cs.cfg.peer_port = a.config().peer_port;
    cs.cfg.extra_flags = {"--data-dir", a.data_dir()};
    auto p = ServerProcess::Create(flavor.binary, cs.cfg);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_TRUE((*p)->Launch().ok());
    EXPECT_TRUE(WaitExited(**p, absl::Seconds(15))) << cs.what << ": still running";
    EXPECT_TRUE(absl::StrContains((*p)->LogTail(), "belongs to member"))
        << cs.what << ": " << (*p)->LogTail();
  }
}

}  // namespace
}  // namespace etcdpp::testing
