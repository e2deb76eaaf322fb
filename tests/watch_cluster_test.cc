// watch_cluster_test: watches on a 3-member cluster, against etcdpp and the reference etcd.
//
//   EveryMemberDeliversTheSameEvents  a prefix watch on each member (leader and followers)
//       while puts, deletes and txns arrive through every member: each watch receives the same
//       events (key, type, value, revisions) in the same order; then a watch from an old start
//       revision on each follower replays exactly the leader's history.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/cluster_fixture.h"
#include "harness/cluster_grpc.h"
#include "harness/grpc_util.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;
using Stream = grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>;

constexpr milliseconds kRpcTimeout{10000};

// One event as compared across members.
std::string Describe(const mvccpb::Event& ev) {
  return absl::StrCat(ev.type() == mvccpb::Event::PUT ? "PUT " : "DELETE ", ev.kv().key(), "=",
                      ev.kv().value(), " mod ", ev.kv().mod_revision(), " create ",
                      ev.kv().create_revision(), " version ", ev.kv().version());
}

// A prefix watch on one member, read by its own thread until `want` events or the deadline.
class MemberWatch {
 public:
  MemberWatch(const std::string& endpoint, int64_t start_rev, size_t want)
      : stub_(pb::Watch::NewStub(NewChannel(endpoint))), want_(want) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stream_ = stub_->Watch(&ctx_);
    pb::WatchRequest req;
    req.mutable_create_request()->set_key("w/");
    req.mutable_create_request()->set_range_end("w0");
    req.mutable_create_request()->set_start_revision(start_rev);
    stream_->Write(req);
    reader_ = std::thread([this] {
      pb::WatchResponse r;
      while (events_.size() < want_ && stream_->Read(&r)) {
        if (r.created()) created_ = true;
        for (const auto& ev : r.events()) events_.push_back(Describe(ev));
      }
      done_ = true;
    });
  }
  ~MemberWatch() { Join(); }
  // Waits (bounded) for the created answer.
  bool WaitCreated() {
    for (int i = 0; i < 100 && !created_ && !done_; ++i)
      std::this_thread::sleep_for(milliseconds(100));
    return created_;
  }
  // Waits for the reader (bounded by the stream's deadline); the events it saw.
  const std::vector<std::string>& Join() {
    if (reader_.joinable()) {
      for (int i = 0; i < 300 && !done_; ++i) std::this_thread::sleep_for(milliseconds(100));
      ctx_.TryCancel();
      reader_.join();
      (void)stream_->Finish();
    }
    return events_;
  }

 private:
  std::unique_ptr<pb::Watch::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<Stream> stream_;
  const size_t want_;
  std::atomic<bool> created_{false}, done_{false};
  std::vector<std::string> events_;  // the reader's; read after Join
  std::thread reader_;
};

using WatchClusterTest = ClusterTest;

TEST_P(WatchClusterTest, EveryMemberDeliversTheSameEvents) {
  const int leader = FindLeader(*cluster_);
  ASSERT_GE(leader, 0);
  std::vector<std::unique_ptr<pb::KV::Stub>> kv;
  for (int i = 0; i < 3; ++i)
    kv.push_back(pb::KV::NewStub(NewChannel(cluster_->member(i).Endpoint())));
  // A revision before everything the test writes.
  pb::PutResponse first;
  {
    pb::PutRequest req;
    req.set_key("start");
    auto ctx = ContextWithDeadline(kRpcTimeout);
    ASSERT_TRUE(kv[leader]->Put(ctx.get(), req, &first).ok());
  }
  constexpr int kRounds = 100;  // 3 events per round
  constexpr size_t kEvents = 3 * kRounds;
  std::vector<std::unique_ptr<MemberWatch>> live;
  for (int i = 0; i < 3; ++i) {
    live.push_back(std::make_unique<MemberWatch>(cluster_->member(i).Endpoint(), 0, kEvents));
  }
  for (auto& w : live) ASSERT_TRUE(w->WaitCreated());

  // Each round through another member: a put, a txn of a put and a delete.
  for (int r = 0; r < kRounds; ++r) {
    pb::KV::Stub& via = *kv[r % 3];
    pb::PutRequest put;
    put.set_key(absl::StrCat("w/", r % 10));
    put.set_value(absl::StrCat("v", r));
    pb::PutResponse put_resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    ASSERT_TRUE(via.Put(ctx.get(), put, &put_resp).ok());
    pb::TxnRequest txn;
    auto* p = txn.add_success()->mutable_request_put();
    p->set_key(absl::StrCat("w/t", r % 7));
    p->set_value(absl::StrCat("t", r));
    txn.add_success()->mutable_request_delete_range()->set_key(absl::StrCat("w/", r % 10));
    pb::TxnResponse txn_resp;
    auto tctx = ContextWithDeadline(kRpcTimeout);
    ASSERT_TRUE(via.Txn(tctx.get(), txn, &txn_resp).ok());
  }
  std::vector<std::string> want = live[leader]->Join();
  ASSERT_EQ(want.size(), kEvents);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(live[i]->Join(), want) << "member " << i << (i == leader ? " (leader)" : "");
  }
  // A watch from the old revision on each follower replays the same history.
  for (int i = 0; i < 3; ++i) {
    if (i == leader) continue;
    MemberWatch replay(cluster_->member(i).Endpoint(), first.header().revision(), kEvents);
    EXPECT_EQ(replay.Join(), want) << "replay on member " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, WatchClusterTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
