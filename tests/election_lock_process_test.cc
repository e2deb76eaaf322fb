// election_lock_process_test: the v3election and v3lock services on a real server process, run
// against etcdpp and the reference etcd alike (the same expectations hold for both).
//
//  - A lock holder killed mid-lock (a stock `etcdctl lock` process, SIGKILL by PID) hands the
//    lock to the next waiter once its lease has expired: the waiter's Lock returns only when
//    the holder's lease and key are gone.
//  - Campaign waits for the leader before it; Observe sees each leader and each proclaimed
//    value in order; Resign passes leadership on; the key's create revision fences Proclaim.
//  - A cancelled Campaign or Lock removes the key it made (etcd's behaviour).
//  - Errors: etcd's messages, all with code UNKNOWN as etcd's services answer them.
//  - On 3 members: a Lock waiting on one follower gets the lock held through another follower
//    once the holder's lease expires, across the leader's death (SIGKILL).
//
// Every wait is a bounded poll or an RPC deadline; no assertion depends on timing.

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
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
#include "v3electionpb/v3election.grpc.pb.h"
#include "v3lockpb/v3lock.grpc.pb.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
namespace epb = ::v3electionpb;
namespace lpb = ::v3lockpb;
using std::chrono::milliseconds;

constexpr milliseconds kRpcTimeout{5000};
constexpr milliseconds kLongWait{30000};  // a call that waits for another's lease to expire
constexpr milliseconds kPollFor{60000};   // how long a poll for keys waits before it fails

std::string Etcdctl() {
  const char* e = getenv("ETCDCTL");
  return e != nullptr ? e : "/usr/bin/etcdctl";
}

// A child process this test started (stdout and stderr to `out`); only it is ever signalled.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& out) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      setenv("ETCDCTL_API", "3", 1);
      dup2(fd, 1);
      dup2(fd, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fd);
  }
  ~Child() { Kill(); }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool Running() { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

class ElectionLockProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ServerFlavor flavor = FlavorByName(GetParam());
    if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
    auto started = ServerProcess::Start(flavor.binary);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    channel_ = NewChannel(server_->Endpoint());
    ASSERT_TRUE(WaitConnected(*channel_, milliseconds(5000)));
    kv_ = pb::KV::NewStub(channel_);
    lease_ = pb::Lease::NewStub(channel_);
    election_ = epb::Election::NewStub(channel_);
    lock_ = lpb::Lock::NewStub(channel_);
  }
  void TearDown() override {
    if (server_ && HasFailure()) server_->set_keep_temp_dir(true);
  }

  int64_t Grant(int64_t id, int64_t ttl) {
    pb::LeaseGrantRequest req;
    req.set_id(id);
    req.set_ttl(ttl);
    pb::LeaseGrantResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    grpc::Status st = lease_->LeaseGrant(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp.id();
  }
  int64_t TimeToLive(int64_t id) {
    pb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    pb::LeaseTimeToLiveResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    grpc::Status st = lease_->LeaseTimeToLive(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp.ttl();
  }
  // The keys under `prefix`, oldest first.
  pb::RangeResponse Keys(const std::string& prefix) {
    pb::RangeResponse resp;
    grpc::Status st = TryKeys(prefix, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp;
  }
  grpc::Status TryKeys(const std::string& prefix, pb::RangeResponse* resp) {
    pb::RangeRequest req;
    req.set_key(prefix);
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);
    req.set_range_end(end);
    req.set_sort_target(pb::RangeRequest::CREATE);
    auto ctx = ContextWithDeadline(kRpcTimeout);
    return kv_->Range(ctx.get(), req, resp);
  }
  // Polls until `prefix` holds `n` keys, for at most kPollFor. A poll that fails (a loaded CI
  // machine can stall the server's disk past one read's deadline) is retried, not a failure;
  // the result names the last count and error.
  ::testing::AssertionResult WaitKeys(const std::string& prefix, int n) {
    const auto until = std::chrono::steady_clock::now() + kPollFor;
    int last = -1;
    std::string last_error = "none";
    while (std::chrono::steady_clock::now() < until) {
      pb::RangeResponse resp;
      grpc::Status st = TryKeys(prefix, &resp);
      if (st.ok()) {
        last = resp.kvs_size();
        if (last == n) return ::testing::AssertionSuccess();
      } else {
        last_error = StatusString(st);
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return ::testing::AssertionFailure()
           << prefix << " held " << last << " keys, not " << n << ", after " << kPollFor.count()
           << " ms; last read error: " << last_error;
  }

  grpc::Status Campaign(const std::string& name, const std::string& value, int64_t lease,
                        epb::CampaignResponse* resp, milliseconds deadline = kRpcTimeout) {
    epb::CampaignRequest req;
    req.set_name(name);
    req.set_value(value);
    req.set_lease(lease);
    auto ctx = ContextWithDeadline(deadline);
    return election_->Campaign(ctx.get(), req, resp);
  }
  grpc::Status Proclaim(const epb::LeaderKey& leader, const std::string& value) {
    epb::ProclaimRequest req;
    *req.mutable_leader() = leader;
    req.set_value(value);
    epb::ProclaimResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    return election_->Proclaim(ctx.get(), req, &resp);
  }
  grpc::Status Leader(const std::string& name, epb::LeaderResponse* resp) {
    epb::LeaderRequest req;
    req.set_name(name);
    auto ctx = ContextWithDeadline(kRpcTimeout);
    return election_->Leader(ctx.get(), req, resp);
  }
  grpc::Status Lock(const std::string& name, int64_t lease, lpb::LockResponse* resp,
                    milliseconds deadline = kRpcTimeout) {
    lpb::LockRequest req;
    req.set_name(name);
    req.set_lease(lease);
    auto ctx = ContextWithDeadline(deadline);
    return lock_->Lock(ctx.get(), req, resp);
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::KV::Stub> kv_;
  std::unique_ptr<pb::Lease::Stub> lease_;
  std::unique_ptr<epb::Election::Stub> election_;
  std::unique_ptr<lpb::Lock::Stub> lock_;
};

TEST_P(ElectionLockProcessTest, KilledLockHolderHandsTheLockOnAfterItsLeaseExpires) {
  if (access(Etcdctl().c_str(), X_OK) != 0) GTEST_SKIP() << "no " << Etcdctl();
  constexpr int kHolderTtl = 3;
  Child holder({Etcdctl(), "--endpoints=" + server_->Endpoint(), "lock",
                "--ttl=" + std::to_string(kHolderTtl), "mutex"},
               server_->temp_dir() + "/holder.out");
  ASSERT_TRUE(WaitKeys("mutex/", 1)) << "etcdctl lock never took the lock";
  const mvccpb::KeyValue held = Keys("mutex/").kvs(0);
  ASSERT_GT(TimeToLive(held.lease()), 0);

  const int64_t mine = Grant(0x77, 60);
  auto waiter = std::async(std::launch::async, [&] {
    lpb::LockResponse resp;
    grpc::Status st = Lock("mutex", mine, &resp, kLongWait);
    return std::make_pair(st, resp);
  });
  ASSERT_TRUE(WaitKeys("mutex/", 2)) << "the waiter's key never appeared";
  EXPECT_EQ(waiter.wait_for(milliseconds(0)), std::future_status::timeout)
      << "the waiter got the lock while the holder held it";
  holder.Kill();  // SIGKILL by PID: no unlock, no revoke; only the lease's TTL frees the lock

  auto [st, resp] = waiter.get();
  ASSERT_TRUE(st.ok()) << StatusString(st);
  EXPECT_EQ(resp.key(), "mutex/77");
  // The lock passed on only once the holder's lease had expired and taken its key along.
  EXPECT_EQ(TimeToLive(held.lease()), -1);
  pb::RangeResponse left = Keys("mutex/");
  ASSERT_EQ(left.kvs_size(), 1);
  EXPECT_EQ(left.kvs(0).key(), "mutex/77");
  EXPECT_GT(left.kvs(0).create_revision(), held.create_revision());
  EXPECT_GT(resp.header().revision(), left.kvs(0).create_revision())
      << "the answer's revision is the one at which the holder's key was gone";
}

TEST_P(ElectionLockProcessTest, CampaignWaitsObserveSeesEachLeaderResignPassesOn) {
  const int64_t a = Grant(0xa, 60), b = Grant(0xb, 60);
  epb::CampaignResponse ca;
  ASSERT_TRUE(Campaign("el", "va", a, &ca).ok());
  EXPECT_EQ(ca.leader().key(), "el/a");
  EXPECT_EQ(ca.leader().rev(), ca.header().revision());
  EXPECT_EQ(ca.leader().lease(), a);

  grpc::ClientContext observe_ctx;
  observe_ctx.set_deadline(std::chrono::system_clock::now() + kLongWait);
  epb::LeaderRequest oreq;
  oreq.set_name("el");
  auto observer = election_->Observe(&observe_ctx, oreq);
  epb::LeaderResponse seen;
  ASSERT_TRUE(observer->Read(&seen));
  EXPECT_EQ(seen.kv().key(), "el/a");
  EXPECT_EQ(seen.kv().value(), "va");

  auto second = std::async(std::launch::async, [&] {
    epb::CampaignResponse resp;
    grpc::Status st = Campaign("el", "vb", b, &resp, kLongWait);
    return std::make_pair(st, resp);
  });
  if (::testing::AssertionResult two = WaitKeys("el/", 2); !two) {
    std::string why = "still waiting";
    if (second.wait_for(milliseconds(0)) == std::future_status::ready) {
      why = StatusString(second.get().first);
    }
    FAIL() << two.message() << "; the second campaign: " << why;
  }
  EXPECT_EQ(second.wait_for(milliseconds(0)), std::future_status::timeout);

  ASSERT_TRUE(Proclaim(ca.leader(), "va2").ok());
  ASSERT_TRUE(observer->Read(&seen));
  EXPECT_EQ(seen.kv().value(), "va2");
  // A stale leader key (another create revision) is refused: the fencing rule.
  epb::LeaderKey stale = ca.leader();
  stale.set_rev(ca.leader().rev() + 100);
  grpc::Status refused = Proclaim(stale, "nope");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(refused.error_message(), "election: not leader");

  epb::ResignRequest rreq;
  *rreq.mutable_leader() = ca.leader();
  epb::ResignResponse rresp;
  auto rctx = ContextWithDeadline(kRpcTimeout);
  ASSERT_TRUE(election_->Resign(rctx.get(), rreq, &rresp).ok());

  auto [st, cb] = second.get();
  ASSERT_TRUE(st.ok()) << StatusString(st);
  EXPECT_EQ(cb.leader().key(), "el/b");
  EXPECT_LT(cb.leader().rev(), rresp.header().revision()) << "b's key predates the resign";
  ASSERT_TRUE(observer->Read(&seen));
  EXPECT_EQ(seen.kv().key(), "el/b");
  EXPECT_EQ(seen.kv().value(), "vb");
  epb::LeaderResponse now;
  ASSERT_TRUE(Leader("el", &now).ok());
  EXPECT_EQ(now.kv().key(), "el/b");
  observe_ctx.TryCancel();
  EXPECT_EQ(observer->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_P(ElectionLockProcessTest, CancelledCampaignAndLockRemoveTheirKeys) {
  const int64_t a = Grant(0xa, 60), b = Grant(0xb, 60);
  epb::CampaignResponse ca;
  ASSERT_TRUE(Campaign("el", "va", a, &ca).ok());
  lpb::LockResponse la;
  ASSERT_TRUE(Lock("lk", a, &la).ok());
  EXPECT_EQ(la.key(), "lk/a");

  grpc::ClientContext cctx, lctx;
  epb::CampaignRequest creq;
  creq.set_name("el");
  creq.set_value("vb");
  creq.set_lease(b);
  lpb::LockRequest lreq;
  lreq.set_name("lk");
  lreq.set_lease(b);
  auto campaign = std::async(std::launch::async, [&] {
    epb::CampaignResponse r;
    return election_->Campaign(&cctx, creq, &r);
  });
  auto lock = std::async(std::launch::async, [&] {
    lpb::LockResponse r;
    return lock_->Lock(&lctx, lreq, &r);
  });
  ASSERT_TRUE(WaitKeys("el/", 2));
  ASSERT_TRUE(WaitKeys("lk/", 2));
  cctx.TryCancel();
  lctx.TryCancel();
  EXPECT_EQ(campaign.get().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(lock.get().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitKeys("el/", 1)) << "the cancelled campaign's key stayed";
  EXPECT_TRUE(WaitKeys("lk/", 1)) << "the cancelled lock's key stayed";
  EXPECT_EQ(Keys("el/").kvs(0).key(), "el/a");
  EXPECT_EQ(Keys("lk/").kvs(0).key(), "lk/a");
}

TEST_P(ElectionLockProcessTest, ErrorsAreEtcdsWithCodeUnknown) {
  epb::LeaderResponse lr;
  grpc::Status st = Leader("nobody", &lr);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(st.error_message(), "election: no leader");

  epb::ProclaimRequest preq;
  epb::ProclaimResponse presp;
  auto ctx = ContextWithDeadline(kRpcTimeout);
  st = election_->Proclaim(ctx.get(), preq, &presp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(st.error_message(), "\"leader\" field must be provided");

  epb::CampaignResponse cr;
  st = Campaign("el", "v", 0x999, &cr);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(st.error_message(), "etcdserver: requested lease not found");

  lpb::UnlockRequest ureq;
  lpb::UnlockResponse uresp;
  auto uctx = ContextWithDeadline(kRpcTimeout);
  st = lock_->Unlock(uctx.get(), ureq, &uresp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(st.error_message(), "etcdserver: key is not provided");
}

class ElectionLockClusterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ServerFlavor flavor = FlavorByName(GetParam());
    if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
    auto started = Cluster::Start(flavor.binary, 3);
    ASSERT_TRUE(started.ok()) << started.status();
    cluster_ = std::move(*started);
  }
  void TearDown() override {
    if (cluster_ && HasFailure()) cluster_->KeepTempDirs();
  }
  std::shared_ptr<grpc::Channel> Channel(int i) {
    auto ch = NewChannel(cluster_->member(i).Endpoint());
    EXPECT_TRUE(WaitConnected(*ch, milliseconds(5000)));
    return ch;
  }
  static int64_t Grant(const std::shared_ptr<grpc::Channel>& ch, int64_t id, int64_t ttl) {
    pb::LeaseGrantRequest req;
    req.set_id(id);
    req.set_ttl(ttl);
    pb::LeaseGrantResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    grpc::Status st = pb::Lease::NewStub(ch)->LeaseGrant(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp.id();
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_P(ElectionLockClusterTest, WaiterOnAFollowerGetsTheLockAcrossTheLeadersDeath) {
  const int leader = FindLeader(*cluster_);
  ASSERT_GE(leader, 0);
  const int f1 = (leader + 1) % 3, f2 = (leader + 2) % 3;
  auto ch1 = Channel(f1), ch2 = Channel(f2);
  const int64_t held = Grant(ch1, 0x11, 3);  // nobody keeps it alive
  const int64_t mine = Grant(ch2, 0x22, 60);

  lpb::LockRequest req;
  req.set_name("c");
  req.set_lease(held);
  lpb::LockResponse first;
  auto ctx = ContextWithDeadline(kRpcTimeout);
  ASSERT_TRUE(lpb::Lock::NewStub(ch1)->Lock(ctx.get(), req, &first).ok());
  EXPECT_EQ(first.key(), "c/11");

  auto waiter = std::async(std::launch::async, [&] {
    lpb::LockRequest wreq;
    wreq.set_name("c");
    wreq.set_lease(mine);
    lpb::LockResponse resp;
    // etcd's Lock waits on a linearizable read, which fails with "leader changed" when the
    // leader dies under it (its key is deleted on the way out); a client retries, as this does.
    grpc::Status st;
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto wctx = ContextWithDeadline(kLongWait);
      st = lpb::Lock::NewStub(ch2)->Lock(wctx.get(), wreq, &resp);
      if (st.error_message() != "etcdserver: leader changed") break;
    }
    return std::make_pair(st, resp);
  });
  auto kv2 = pb::KV::NewStub(ch2);
  bool queued = false;
  for (int i = 0; i < 300 && !queued; ++i) {
    pb::RangeRequest r;
    r.set_key("c/");
    r.set_range_end("c0");
    r.set_count_only(true);
    pb::RangeResponse rr;
    auto rctx = ContextWithDeadline(kRpcTimeout);
    queued = kv2->Range(rctx.get(), r, &rr).ok() && rr.count() == 2;
    if (!queued) std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(queued) << "the waiter's key never appeared";
  ASSERT_TRUE(cluster_->member(leader).Kill().ok());

  auto [st, resp] = waiter.get();
  ASSERT_TRUE(st.ok()) << StatusString(st);
  EXPECT_EQ(resp.key(), "c/22");
  pb::LeaseTimeToLiveRequest t;
  t.set_id(held);
  pb::LeaseTimeToLiveResponse tr;
  auto tctx = ContextWithDeadline(kRpcTimeout);
  ASSERT_TRUE(pb::Lease::NewStub(ch2)->LeaseTimeToLive(tctx.get(), t, &tr).ok());
  EXPECT_EQ(tr.ttl(), -1) << "the lock passed on while the holder's lease was alive";
}

INSTANTIATE_TEST_SUITE_P(Servers, ElectionLockClusterTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(Servers, ElectionLockProcessTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
