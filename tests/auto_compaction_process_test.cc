// auto_compaction_process_test: --auto-compaction-* on a real server process, run against
// etcdpp and the reference etcd alike (the same expectations hold for both).
//
//  - Periodic mode with a 2 s retention (etcd allows any duration): after some puts, the leader
//    compacts on its own: a Range at an old revision answers "etcdserver: mvcc: required
//    revision has been compacted" (OutOfRange), the newest revision still reads, and the log has
//    etcd's lines ("Starting auto-compaction at revision N (retention: 2s)", "Finished
//    auto-compaction at revision N").
//  - Revision mode starts and serves (its first look is 5 minutes away, longer than a test:
//    its schedule is covered by the unit tests on a fake clock, src/server/compactor/).
//  - A bad mode or retention refuses to start, with etcd's message in the log.
//
// Every wait is a bounded poll; no fixed sleep decides an outcome.

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
constexpr char kCompacted[] = "etcdserver: mvcc: required revision has been compacted";

class AutoCompactionProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    flavor_ = FlavorByName(GetParam());
    if (std::string why = WhyNotRunnable(flavor_); !why.empty()) GTEST_SKIP() << why;
  }
  void TearDown() override {
    if (server_ && HasFailure()) server_->set_keep_temp_dir(true);
  }
  void StartWith(std::vector<std::string> flags) {
    MemberConfig mc;
    mc.extra_flags = std::move(flags);
    auto started = ServerProcess::Start(flavor_.binary, mc);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    channel_ = NewChannel(server_->Endpoint());
    ASSERT_TRUE(WaitConnected(*channel_, milliseconds(5000)));
    kv_ = pb::KV::NewStub(channel_);
  }
  int64_t Put(const std::string& key) {
    pb::PutRequest req;
    req.set_key(key);
    req.set_value("v");
    pb::PutResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    grpc::Status st = kv_->Put(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp.header().revision();
  }
  grpc::Status RangeAt(const std::string& key, int64_t rev) {
    pb::RangeRequest req;
    req.set_key(key);
    req.set_revision(rev);
    pb::RangeResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    return kv_->Range(ctx.get(), req, &resp);
  }
  // Polls the server's log (bounded) until it contains `text`.
  bool WaitLog(const std::string& text, milliseconds limit) {
    for (const Clock::time_point end = Clock::now() + limit; Clock::now() < end;) {
      if (server_->LogTail(100000).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  ServerFlavor flavor_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::KV::Stub> kv_;
};

TEST_P(AutoCompactionProcessTest, PeriodicCompactsOldRevisions) {
  StartWith({"--auto-compaction-mode=periodic", "--auto-compaction-retention=2s"});
  const int64_t first = Put("k");
  int64_t last = first;
  for (int i = 0; i < 9; ++i) last = Put("k");
  ASSERT_GT(last, first);

  // 2 s retention: the first compaction 2 s after start, then every 2 s to the revision sampled
  // about 2.2 s before; the revision of the first put is compacted within a few seconds.
  grpc::Status st;
  const Clock::time_point end = Clock::now() + std::chrono::seconds(30);
  for (; Clock::now() < end; std::this_thread::sleep_for(milliseconds(100))) {
    st = RangeAt("k", first);
    if (!st.ok()) break;
  }
  EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE) << StatusString(st);
  EXPECT_EQ(st.error_message(), kCompacted);
  EXPECT_TRUE(RangeAt("k", last).ok());
  EXPECT_TRUE(WaitLog("Starting auto-compaction at revision ", milliseconds(5000)))
      << server_->LogTail();
  EXPECT_TRUE(WaitLog("(retention: 2s)", milliseconds(5000))) << server_->LogTail();
  EXPECT_TRUE(WaitLog("Finished auto-compaction at revision ", milliseconds(5000)))
      << server_->LogTail();
}

TEST_P(AutoCompactionProcessTest, RevisionModeStartsAndServes) {
  StartWith({"--auto-compaction-mode", "revision", "--auto-compaction-retention", "10"});
  const int64_t first = Put("k");
  EXPECT_TRUE(RangeAt("k", first).ok());
}

TEST_P(AutoCompactionProcessTest, BadFlagsRefuseToStart) {
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  for (const Case& c :
       {Case{{"--auto-compaction-mode=x"}, "unknown auto-compaction-mode \"x\""},
        Case{{"--auto-compaction-retention=1x"},
             "error parsing CompactionRetention: time: unknown unit \"x\" in duration \"1x\""}}) {
    MemberConfig mc;
    mc.extra_flags = c.flags;
    auto created = ServerProcess::Create(flavor_.binary, mc);
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE((*created)->Launch().ok());
    EXPECT_FALSE((*created)->WaitReady(absl::Seconds(10)).ok()) << c.flags[0];
    EXPECT_NE((*created)->LogTail(1000).find(c.message), std::string::npos)
        << c.flags[0] << ":\n"
        << (*created)->LogTail();
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, AutoCompactionProcessTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
