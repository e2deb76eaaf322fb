// cluster_fault_test: a cluster that loses members, on real processes.
//
//  - NoQuorum (etcdpp and the reference etcd): with two of three members killed, once etcd's
//    request timeout (5 s + 2 election timeouts) passes, a linearizable read on the survivor
//    answers "etcdserver: request timed out" and a write "context deadline exceeded" (Unknown:
//    it never left the queue for a leader), a serializable read still answers, and a client
//    that asks for a leader (hasleader metadata, clientv3.WithRequireLeader) gets
//    "etcdserver: no leader" at once, for unary calls and new streams; streams opened before are
//    closed with it once the member has had no leader for three election timeouts.
//  - KillLeaderUnderLoad (etcdpp; 3 and 5 members): SIGKILL the leader while several clients
//    write (bounded loops); a new leader appears, writes resume, and after the killed member is
//    restarted every member holds every acknowledged write, with the same keys, values and
//    revisions everywhere (full serializable dumps from each member).

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster_ops.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Short timeouts keep the waits short: the request timeout is 5 s + 2 x 500 ms.
const std::vector<std::string> kFastElections = {"--heartbeat-interval=50",
                                                 "--election-timeout=500"};
constexpr milliseconds kClientDeadline{20000};  // above the request timeout

std::unique_ptr<grpc::ClientContext> RequireLeaderContext(milliseconds deadline) {
  auto ctx = ContextWithDeadline(deadline);
  ctx->AddMetadata("hasleader", "true");
  return ctx;
}

bool WaitNoLeader(const std::string& endpoint, absl::Duration timeout) {
  return PollUntil(
      [&] {
        absl::StatusOr<pb::StatusResponse> st = MemberStatus(endpoint, milliseconds(1000));
        return st.ok() && st->leader() == 0;
      },
      timeout);
}

class NoQuorumTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NoQuorumTest, RequestsTimeOutAndRequireLeaderFailsFast) {
  ServerFlavor flavor = FlavorByName(GetParam());
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  auto cluster =
      FaultCluster::Start({.binary = flavor.binary, .size = 3, .extra_flags = kFastElections});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  FaultCluster& c = **cluster;
  const std::string survivor = c.member(0).Endpoint();
  ASSERT_GE(c.WaitLeader(absl::Seconds(10)), 0);

  // Streams that require a leader, opened while there is one.
  auto channel = NewChannel(survivor);
  auto watch_stub = pb::Watch::NewStub(channel);
  auto watch_ctx = RequireLeaderContext(milliseconds(60000));
  auto watch = watch_stub->Watch(watch_ctx.get());
  pb::WatchRequest wreq;
  wreq.mutable_create_request()->set_key("w");
  ASSERT_TRUE(watch->Write(wreq));
  pb::WatchResponse wresp;
  ASSERT_TRUE(watch->Read(&wresp));  // created
  auto lease_stub = pb::Lease::NewStub(channel);
  auto ka_ctx = RequireLeaderContext(milliseconds(60000));
  auto keepalive = lease_stub->LeaseKeepAlive(ka_ctx.get());

  ASSERT_TRUE(c.member(1).Kill().ok());
  ASSERT_TRUE(c.member(2).Kill().ok());
  ASSERT_TRUE(WaitNoLeader(survivor, absl::Seconds(15))) << "the survivor still names a leader";

  // Unary calls with hasleader: at once.
  auto kv = KvStub(survivor);
  {
    pb::PutRequest req;
    req.set_key("k");
    req.set_value("v");
    pb::PutResponse resp;
    auto ctx = RequireLeaderContext(kClientDeadline);
    grpc::Status st = kv->Put(ctx.get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << StatusString(st);
    EXPECT_EQ(st.error_message(), "etcdserver: no leader");
  }
  // A new stream with hasleader: finished at once.
  {
    auto ctx = RequireLeaderContext(milliseconds(10000));
    auto w = watch_stub->Watch(ctx.get());
    pb::WatchResponse r;
    EXPECT_FALSE(w->Read(&r));
    grpc::Status st = w->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << StatusString(st);
    EXPECT_EQ(st.error_message(), "etcdserver: no leader");
  }
  // Without hasleader: the write and the linearizable read wait for the request timeout;
  // the serializable read answers.
  const Clock::time_point start = Clock::now();
  grpc::Status put_status, read_status;
  std::thread writer([&] { put_status = Put(survivor, "k", "v", kClientDeadline); });
  std::thread reader([&] {
    pb::RangeRequest req;
    req.set_key("k");
    pb::RangeResponse resp;
    auto ctx = ContextWithDeadline(kClientDeadline);
    read_status = KvStub(survivor)->Range(ctx.get(), req, &resp);
  });
  absl::StatusOr<Dump> local = DumpAll(survivor, /*serializable=*/true, milliseconds(5000));
  EXPECT_TRUE(local.ok()) << local.status();
  writer.join();
  reader.join();
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  // etcd 3.4's raft node takes no proposal while there is no leader: the request's context
  // expires first, and its error goes out as codes.Unknown.
  EXPECT_EQ(put_status.error_code(), grpc::StatusCode::UNKNOWN) << StatusString(put_status);
  EXPECT_EQ(put_status.error_message(), "context deadline exceeded");
  EXPECT_EQ(read_status.error_code(), grpc::StatusCode::UNAVAILABLE) << StatusString(read_status);
  EXPECT_EQ(read_status.error_message(), "etcdserver: request timed out");
  std::cout << "[ measured ] " << GetParam() << ": write and linearizable read without quorum "
            << "answered after " << waited.count() << " ms\n";

  // The streams opened before: closed with "no leader" (three election timeouts without one).
  while (watch->Read(&wresp)) {
  }
  grpc::Status wst = watch->Finish();
  EXPECT_EQ(wst.error_message(), "etcdserver: no leader") << StatusString(wst);
  pb::LeaseKeepAliveResponse kresp;
  while (keepalive->Read(&kresp)) {
  }
  grpc::Status kst = keepalive->Finish();
  EXPECT_EQ(kst.error_message(), "etcdserver: no leader") << StatusString(kst);
  if (HasFailure()) c.KeepTempDirs();
}

INSTANTIATE_TEST_SUITE_P(Servers, NoQuorumTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

// ---- Killing the leader under write load ----

struct LoadResult {
  std::map<std::string, std::string> acked;  // key -> value of every acknowledged put
  int failed = 0;
};

// One client: puts unique keys round-robin over the members until `stop` or `max_puts`.
void WriteLoop(int client, std::vector<std::string> endpoints, const std::atomic<bool>* stop,
               std::atomic<int>* acked_total, LoadResult* out) {
  constexpr int kMaxPuts = 3000;
  const Clock::time_point end = Clock::now() + std::chrono::seconds(40);
  for (int i = 0; i < kMaxPuts && !stop->load() && Clock::now() < end; ++i) {
    std::string key = "load/" + std::to_string(client) + "/" + std::to_string(i);
    std::string value = "v" + std::to_string(client * 100000 + i);
    const std::string& ep = endpoints[(client + i) % endpoints.size()];
    grpc::Status st = Put(ep, key, value, milliseconds(10000));
    if (st.ok()) {
      out->acked[key] = value;
      acked_total->fetch_add(1);
    } else {
      ++out->failed;
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
}

bool WaitAcked(const std::atomic<int>& acked, int target, absl::Duration timeout) {
  return PollUntil([&] { return acked.load() >= target; }, timeout, milliseconds(20));
}

class KillLeaderTest : public ::testing::TestWithParam<int> {};

TEST_P(KillLeaderTest, NewLeaderWritesResumeAndEveryAckedWriteSurvives) {
  ServerFlavor flavor = FlavorByName("etcdpp");
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  const int n = GetParam();
  auto cluster =
      FaultCluster::Start({.binary = flavor.binary,
                           .size = n,
                           .extra_flags = {"--heartbeat-interval=50", "--election-timeout=750"}});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  FaultCluster& c = **cluster;
  int leader = c.WaitLeader(absl::Seconds(10));
  ASSERT_GE(leader, 0);

  std::vector<std::string> endpoints;
  for (int i = 0; i < n; ++i) endpoints.push_back(c.member(i).Endpoint());
  constexpr int kClients = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::vector<LoadResult> results(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(WriteLoop, i, endpoints, &stop, &acked, &results[i]);
  }
  bool loaded = WaitAcked(acked, 200, absl::Seconds(20));
  const Clock::time_point killed_at = Clock::now();
  ASSERT_TRUE(c.member(leader).Kill().ok());
  int acked_at_kill = acked.load();
  int next = c.WaitLeader(absl::Seconds(15));  // the killed member does not run
  const auto elected_after = std::chrono::duration_cast<milliseconds>(Clock::now() - killed_at);
  bool resumed = next >= 0 && WaitAcked(acked, acked.load() + 200, absl::Seconds(20));
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_TRUE(loaded) << "the clients never got 200 writes through";
  ASSERT_GE(next, 0) << "no new leader after the leader was killed";
  EXPECT_TRUE(resumed) << "writes did not resume under the new leader";
  std::cout << "[ measured ] " << n << " members: new leader seen " << elected_after.count()
            << " ms after the kill; " << acked_at_kill << " writes acknowledged before it, "
            << acked.load() << " in all\n";

  ASSERT_TRUE(c.member(leader).Restart(absl::Seconds(20)).ok()) << c.member(leader).LogTail();
  absl::StatusOr<std::vector<Dump>> dumps = c.WaitConverged(absl::Seconds(30));
  ASSERT_TRUE(dumps.ok()) << dumps.status();
  ASSERT_EQ(static_cast<int>(dumps->size()), n);
  std::map<std::string, const KvRecord*> stored;
  for (const KvRecord& kv : dumps->front().kvs) stored[kv.key] = &kv;
  int missing = 0;
  for (const LoadResult& r : results) {
    for (const auto& [key, value] : r.acked) {
      auto it = stored.find(key);
      if (it == stored.end() || it->second->value != value) {
        if (++missing <= 5) ADD_FAILURE() << "acknowledged write lost: " << key << "=" << value;
      }
    }
  }
  EXPECT_EQ(missing, 0);
  if (HasFailure()) c.KeepTempDirs();
}

INSTANTIATE_TEST_SUITE_P(Sizes, KillLeaderTest, ::testing::Values(3, 5),
                         [](const auto& info) { return std::to_string(info.param) + "members"; });

}  // namespace
}  // namespace etcdpp::testing
