// lease_cluster_test: leases on a 3-member cluster, against etcdpp and the reference etcd alike.
//
//   KillingTheLeaderExpiresNoLeaseEarly  leases of 10-15 s granted and kept alive through a
//       follower; the leader is killed. A keepalive sent at once, while there is no leader, is
//       answered once a new leader is elected (etcd retries until its request timeout); every
//       lease stays known on the new leader until its TTL after its last acknowledged keepalive;
//       the new leader renews through the same follower stream, to the full TTL.
//
// Time bounds are one-sided: "must still be alive" is checked only for TimeToLive requests
// sent before (keepalive send time + TTL), i.e. before the lease could legitimately expire.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/cluster_fixture.h"
#include "harness/cluster_grpc.h"
#include "harness/grpc_util.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using KeepAliveStream =
    grpc::ClientReaderWriter<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>;

constexpr milliseconds kRpcTimeout{5000};

using LeaseClusterTest = ClusterTest;

// Writes a keepalive for id and reads its answer; the answer's TTL, or -2 if the stream failed.
int64_t KeepAlive(KeepAliveStream& s, int64_t id) {
  pb::LeaseKeepAliveRequest req;
  req.set_id(id);
  pb::LeaseKeepAliveResponse resp;
  if (!s.Write(req) || !s.Read(&resp)) return -2;
  EXPECT_EQ(resp.id(), id);
  return resp.ttl();
}

TEST_P(LeaseClusterTest, KillingTheLeaderExpiresNoLeaseEarly) {
  const int leader = FindLeader(*cluster_);
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % 3;
  auto channel = NewChannel(cluster_->member(follower).Endpoint());
  auto lease = pb::Lease::NewStub(channel);
  const std::map<int64_t, int64_t> ttls = {
      {0xc1a0, 10}, {0xc1a1, 11}, {0xc1a2, 12}, {0xc1a3, 13}, {0xc1a4, 15}};
  for (const auto& [id, ttl] : ttls) {
    pb::LeaseGrantRequest req;
    req.set_id(id);
    req.set_ttl(ttl);
    pb::LeaseGrantResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    ASSERT_TRUE(lease->LeaseGrant(ctx.get(), req, &resp).ok());
  }
  // Keepalives through the follower (forwarded to the leader) for a few rounds; the send time
  // of each lease's last acknowledged keepalive is its reference.
  auto ka_ctx = ContextWithDeadline(milliseconds(60000));
  auto stream = lease->LeaseKeepAlive(ka_ctx.get());
  std::map<int64_t, Clock::time_point> renewed;
  for (int round = 0; round < 3; ++round) {
    for (const auto& [id, ttl] : ttls) {
      const Clock::time_point sent = Clock::now();
      ASSERT_EQ(KeepAlive(*stream, id), ttl);
      renewed[id] = sent;
    }
    std::this_thread::sleep_for(milliseconds(500));
  }
  ASSERT_TRUE(cluster_->member(leader).Kill().ok());

  // At once, with no leader yet: answered once there is one (etcd's LeaseRenew waits for a
  // leader and retries until its request timeout), with the full TTL.
  constexpr int64_t kFirst = 0xc1a0;
  const Clock::time_point sent = Clock::now();
  ASSERT_EQ(KeepAlive(*stream, kFirst), ttls.at(kFirst));
  renewed[kFirst] = sent;

  const int new_leader = FindLeader(*cluster_);
  ASSERT_GE(new_leader, 0);
  ASSERT_NE(new_leader, leader);
  auto on_leader = pb::Lease::NewStub(NewChannel(cluster_->member(new_leader).Endpoint()));
  Clock::time_point last_due = Clock::now();
  for (const auto& [id, ttl] : ttls) {
    last_due = std::max(last_due, renewed[id] + std::chrono::seconds(ttl));
  }
  // Until the last lease is due: each lease not yet due must be known, with a remaining TTL
  // no larger than granted (plus the election timeout of grace a new leader gives).
  int answers = 0;
  for (int i = 0; i < 200 && Clock::now() < last_due; ++i) {
    for (const auto& [id, ttl] : ttls) {
      pb::LeaseTimeToLiveRequest req;
      req.set_id(id);
      pb::LeaseTimeToLiveResponse resp;
      const Clock::time_point asked = Clock::now();
      auto ctx = ContextWithDeadline(milliseconds(2000));
      if (!on_leader->LeaseTimeToLive(ctx.get(), req, &resp).ok()) continue;
      ++answers;
      if (asked >= renewed[id] + std::chrono::seconds(ttl)) continue;  // may be gone now
      ASSERT_NE(resp.ttl(), -1)
          << "lease " << id << " (TTL " << ttl << " s) expired "
          << std::chrono::duration_cast<milliseconds>(asked - renewed[id]).count()
          << " ms after its last acknowledged keepalive was sent";
      EXPECT_LE(resp.ttl(), ttl + 2);
      EXPECT_EQ(resp.grantedttl(), ttl);
    }
    // The new leader renews through the same follower stream: the first lease is kept alive.
    if (Clock::now() - renewed[kFirst] > std::chrono::seconds(2)) {
      const Clock::time_point now = Clock::now();
      ASSERT_EQ(KeepAlive(*stream, kFirst), ttls.at(kFirst));
      renewed[kFirst] = now;
    }
    std::this_thread::sleep_for(milliseconds(500));
  }
  EXPECT_GT(answers, 0) << "the new leader never answered TimeToLive";
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

INSTANTIATE_TEST_SUITE_P(Servers, LeaseClusterTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
