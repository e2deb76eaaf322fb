// lease_process_test: leases on a real server process, run against etcdpp and the reference
// etcd alike (the same expectations must hold for both).
//
//  - A lease nobody keeps alive expires no earlier than its TTL after the grant was sent and
//    within TTL + kExpiryMargin of the grant's answer, and all its keys go in ONE revision.
//  - Keepalives hold a lease past its TTL; each answer carries the granted TTL.
//  - Leases survive a crash (SIGKILL) and restart, with their keys still attached.
//  - Bad input gets etcd's codes and messages; a keepalive for an unknown lease answers TTL 0
//    and the stream goes on.
//  (The 3-member cases are in lease_cluster_test.)
//
// Time bounds are one-sided where possible: "not before" uses the client's send time (the
// server's clock starts later), "within" uses the answer's receive time plus a margin far above
// etcd's 500 ms expiry loop. Every wait is a bounded poll.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kRpcTimeout{5000};
constexpr milliseconds kExpiryMargin{2500};

class LeaseProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ServerFlavor flavor = FlavorByName(GetParam());
    if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
    auto started = ServerProcess::Start(flavor.binary);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    Connect();
  }
  void TearDown() override {
    if (server_ && HasFailure()) server_->set_keep_temp_dir(true);
  }
  void Connect() {
    channel_ = NewChannel(server_->Endpoint());
    ASSERT_TRUE(WaitConnected(*channel_, milliseconds(5000)));
    kv_ = pb::KV::NewStub(channel_);
    lease_ = pb::Lease::NewStub(channel_);
  }

  grpc::Status Grant(int64_t id, int64_t ttl, pb::LeaseGrantResponse* resp) {
    pb::LeaseGrantRequest req;
    req.set_id(id);
    req.set_ttl(ttl);
    auto ctx = ContextWithDeadline(kRpcTimeout);
    return lease_->LeaseGrant(ctx.get(), req, resp);
  }
  grpc::Status Revoke(int64_t id) {
    pb::LeaseRevokeRequest req;
    req.set_id(id);
    pb::LeaseRevokeResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    return lease_->LeaseRevoke(ctx.get(), req, &resp);
  }
  pb::LeaseTimeToLiveResponse TimeToLive(int64_t id) {
    pb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    req.set_keys(true);
    pb::LeaseTimeToLiveResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    grpc::Status st = lease_->LeaseTimeToLive(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp;
  }
  int64_t Put(const std::string& key, int64_t lease) {
    pb::PutRequest req;
    req.set_key(key);
    req.set_value("v");
    req.set_lease(lease);
    pb::PutResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    grpc::Status st = kv_->Put(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp.header().revision();
  }
  pb::RangeResponse RangeAll() {
    pb::RangeRequest req;
    req.set_key(std::string(1, '\0'));
    req.set_range_end(std::string(1, '\0'));
    pb::RangeResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    grpc::Status st = kv_->Range(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp;
  }
  // Polls TimeToLive (bounded by `limit`) until the lease is gone; the time it was seen gone.
  std::optional<Clock::time_point> WaitGone(int64_t id, milliseconds limit) {
    const Clock::time_point end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (TimeToLive(id).ttl() == -1) return Clock::now();
      std::this_thread::sleep_for(milliseconds(50));
    }
    return std::nullopt;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::KV::Stub> kv_;
  std::unique_ptr<pb::Lease::Stub> lease_;
};

TEST_P(LeaseProcessTest, ExpiresWithinTtlAndItsKeysGoInOneRevision) {
  constexpr int64_t kId = 0x5eed, kTtl = 3;
  pb::LeaseGrantResponse g;
  const Clock::time_point sent = Clock::now();
  ASSERT_TRUE(Grant(kId, kTtl, &g).ok());
  const Clock::time_point granted = Clock::now();
  ASSERT_EQ(g.id(), kId);
  ASSERT_EQ(g.ttl(), kTtl);
  Put("other", 0);
  Put("e/1", kId);
  Put("e/2", kId);
  const int64_t last = Put("e/3", kId);
  std::optional<Clock::time_point> gone =
      WaitGone(kId, milliseconds(kTtl * 1000) + 3 * kExpiryMargin);
  ASSERT_TRUE(gone.has_value()) << "the lease never expired";
  EXPECT_GE(*gone - sent, std::chrono::seconds(kTtl)) << "expired before its TTL";
  EXPECT_LE(*gone - granted, std::chrono::seconds(kTtl) + kExpiryMargin);
  std::cout << "[ measured ] " << GetParam() << ": a " << kTtl << " s lease was seen gone "
            << std::chrono::duration_cast<milliseconds>(*gone - granted).count()
            << " ms after its grant\n";
  pb::RangeResponse all = RangeAll();
  ASSERT_EQ(all.kvs_size(), 1);
  EXPECT_EQ(all.kvs(0).key(), "other");
  EXPECT_EQ(all.header().revision(), last + 1) << "the three deletions took more than one revision";
}

TEST_P(LeaseProcessTest, KeepalivesHoldTheLeasePastItsTtl) {
  constexpr int64_t kId = 0x6eed, kTtl = 2;
  pb::LeaseGrantResponse g;
  ASSERT_TRUE(Grant(kId, kTtl, &g).ok());
  Put("held", kId);
  auto ctx = ContextWithDeadline(milliseconds(30000));
  auto stream = lease_->LeaseKeepAlive(ctx.get());
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < 12; ++i) {  // 12 x 400 ms: twice the TTL, renewing at 1/5 of it
    pb::LeaseKeepAliveRequest req;
    req.set_id(kId);
    ASSERT_TRUE(stream->Write(req));
    pb::LeaseKeepAliveResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    EXPECT_EQ(resp.id(), kId);
    EXPECT_EQ(resp.ttl(), kTtl);
    std::this_thread::sleep_for(milliseconds(400));
  }
  ASSERT_GT(Clock::now() - start, std::chrono::seconds(kTtl));
  EXPECT_EQ(TimeToLive(kId).grantedttl(), kTtl);
  EXPECT_EQ(RangeAll().kvs_size(), 1);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_P(LeaseProcessTest, LeasesSurviveACrashWithTheirKeys) {
  constexpr int64_t kId = 0x7eed;
  pb::LeaseGrantResponse g;
  ASSERT_TRUE(Grant(kId, 60, &g).ok());
  Put("kept", kId);
  std::this_thread::sleep_for(milliseconds(300));  // not required: the WAL replays either way
  ASSERT_TRUE(server_->Kill().ok());
  ASSERT_TRUE(server_->Restart().ok()) << server_->LogTail();
  Connect();
  pb::LeaseTimeToLiveResponse ttl = TimeToLive(kId);
  EXPECT_EQ(ttl.grantedttl(), 60);
  EXPECT_GT(ttl.ttl(), 0);
  EXPECT_LE(ttl.ttl(), 61);  // the remaining TTL plus at most an election timeout of grace
  ASSERT_EQ(ttl.keys_size(), 1);
  EXPECT_EQ(ttl.keys(0), "kept");
  ASSERT_TRUE(Revoke(kId).ok());
  EXPECT_EQ(RangeAll().kvs_size(), 0);
}

TEST_P(LeaseProcessTest, BadInputGetsEtcdsAnswers) {
  pb::LeaseGrantResponse g;
  ASSERT_TRUE(Grant(0x8eed, 10, &g).ok());
  grpc::Status st = Grant(0x8eed, 10, &g);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "etcdserver: lease already exists");
  st = Grant(0x9eed, 9000000001, &g);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(st.error_message(), "etcdserver: too large lease TTL");
  ASSERT_TRUE(Grant(0xaeed, -5, &g).ok());
  EXPECT_EQ(g.ttl(), 2);  // the minimum TTL with the default timers
  st = Revoke(0x1234);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "etcdserver: requested lease not found");
  pb::LeaseTimeToLiveResponse ttl = TimeToLive(0x1234);
  EXPECT_EQ(ttl.id(), 0x1234);
  EXPECT_EQ(ttl.ttl(), -1);
  EXPECT_EQ(ttl.grantedttl(), 0);

  // Keepalive for an unknown lease: TTL 0, and the stream still serves a known one.
  auto ctx = ContextWithDeadline(kRpcTimeout);
  auto stream = lease_->LeaseKeepAlive(ctx.get());
  for (int64_t id : {int64_t{0x1234}, int64_t{0x8eed}}) {
    pb::LeaseKeepAliveRequest req;
    req.set_id(id);
    ASSERT_TRUE(stream->Write(req));
    pb::LeaseKeepAliveResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    EXPECT_EQ(resp.id(), id);
    EXPECT_EQ(resp.ttl(), id == 0x1234 ? 0 : 10);
    EXPECT_GT(resp.header().revision(), 0);
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

INSTANTIATE_TEST_SUITE_P(Servers, LeaseProcessTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
