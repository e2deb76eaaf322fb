// snapshot_process_test: raft snapshots end to end, with real processes
// (docs/design/cluster.md "Snapshots").
//
//  - A member restarted after many writes with a low --snapshot-count replays only the WAL
//    after its newest snapshot (the count it logs is bounded), and its data is intact.
//  - A damaged newest .snap file: the member falls back to an older one, naming the file.
//  - A founding member whose WAL holds no records (first start cut short) bootstraps again.
//  - A member stopped during 20,000 writes rejoins by snapshot: the leader sends it the backend,
//    and afterwards every member's full dump (keys, values, revisions, versions) is identical.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/kv_dump.h"
#include "harness/ports.h"
#include "harness/server_process.h"
#include "wal/wal.h"

namespace etcdpp::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kRpcTimeout{5000};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Puts `total` writes from `clients` threads round-robin over `endpoints`, over `key_space`
// keys (so keys get several versions). Returns the number acknowledged; stops early (bounded)
// when `stop` is set. Failures (a stopped member) are retried on the next endpoint.
int PutMany(const std::vector<std::string>& endpoints, int total, int clients, int key_space,
            const std::atomic<bool>* stop = nullptr) {
  std::atomic<int> next{0}, acked{0};
  std::vector<std::thread> threads;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      size_t ep = static_cast<size_t>(c) % endpoints.size();
      auto stub = etcdserverpb::KV::NewStub(NewChannel(endpoints[ep]));
      for (int i = next.fetch_add(1); i < total;) {
        if ((stop != nullptr && stop->load()) || std::chrono::steady_clock::now() > deadline)
          return;
        etcdserverpb::PutRequest req;
        req.set_key(absl::StrCat("snap/", i % key_space));
        req.set_value(absl::StrCat("value-", i, "-", std::string(64, 'v')));
        etcdserverpb::PutResponse resp;
        grpc::Status st = stub->Put(ContextWithDeadline(kRpcTimeout).get(), req, &resp);
        if (st.ok()) {
          acked.fetch_add(1);
          i = next.fetch_add(1);
          continue;
        }
        ep = (ep + 1) % endpoints.size();  // that member is down: try another
        stub = etcdserverpb::KV::NewStub(NewChannel(endpoints[ep]));
        std::this_thread::sleep_for(milliseconds(20));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return acked.load();
}

// Waits (bounded) until the member's dump equals `want`.
bool WaitDumpEquals(const std::string& endpoint, const Dump& want, absl::Duration limit) {
  auto deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    absl::StatusOr<Dump> got = DumpMember(endpoint);
    if (got.ok() && *got == want) return true;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return false;
}

bool Skip() { return !WhyNotRunnable(FlavorByName("etcdpp")).empty(); }

std::unique_ptr<ServerProcess> StartSingle(std::vector<std::string> flags) {
  MemberConfig cfg;
  cfg.name = "s1";
  cfg.extra_flags = std::move(flags);
  auto p = ServerProcess::Start(BinaryUnderTest(), cfg, absl::Seconds(30));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

// The count in the member's last "replaying N WAL entries" line, or -1.
int64_t ReplayedEntries(const ServerProcess& p) {
  std::string log = ReadAll(p.log_path());
  std::regex re("replaying ([0-9]+) WAL entries after the snapshot at index ([0-9]+)");
  int64_t n = -1;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
       ++it) {
    n = std::stoll((*it)[1].str());
  }
  return n;
}

TEST(SnapshotProcessTest, RestartReplaysOnlyTheWalAfterTheSnapshot) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  auto p = StartSingle({"--snapshot-count=1000"});
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(PutMany({p->Endpoint()}, 20000, 16, 5000), 20000);
  auto before = DumpMember(p->Endpoint());
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 5000u);
  ASSERT_TRUE(p->Kill().ok());
  ASSERT_TRUE(p->Restart(absl::Seconds(30)).ok()) << p->LogTail();
  int64_t replayed = ReplayedEntries(*p);
  // At most snapshot-count entries applied since the last snapshot, plus a few in flight.
  EXPECT_GE(replayed, 0) << p->LogTail();
  EXPECT_LT(replayed, 1200) << p->LogTail();
  auto after = DumpMember(p->Endpoint());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(*after == *before) << "dumps differ after the restart";
  if (HasFailure()) p->set_keep_temp_dir(true);
}

TEST(SnapshotProcessTest, DamagedNewestSnapshotFallsBackToAnOlderOne) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  auto p = StartSingle({"--snapshot-count=500"});
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(PutMany({p->Endpoint()}, 3000, 8, 1000), 3000);
  auto before = DumpMember(p->Endpoint());
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(p->Stop().ok());
  std::string snap_dir = p->data_dir() + "/member/snap";
  std::vector<std::string> snaps;
  for (const auto& e : std::filesystem::directory_iterator(snap_dir)) {
    if (e.path().extension() == ".snap") snaps.push_back(e.path().string());
  }
  std::sort(snaps.begin(), snaps.end());
  ASSERT_GE(snaps.size(), 2u);
  {
    std::fstream f(snaps.back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(6);
    f.put('\x7f');
  }
  ASSERT_TRUE(p->Restart(absl::Seconds(30)).ok()) << p->LogTail();
  std::string log = ReadAll(p->log_path());
  EXPECT_NE(log.find("cannot load snapshot file " + snaps.back()), std::string::npos)
      << p->LogTail();
  auto after = DumpMember(p->Endpoint());
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(*after == *before);
  if (HasFailure()) p->set_keep_temp_dir(true);
}

// A crash during the first start can leave member/wal with a segment that holds only its
// header: the member must bootstrap again rather than wait forever for a configuration.
TEST(SnapshotProcessTest, FoundingMemberWithAnEmptyWalBootstrapsAgain) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  MemberConfig cfg;
  cfg.name = "s1";
  auto p = ServerProcess::Create(BinaryUnderTest(), cfg);
  ASSERT_TRUE(p.ok()) << p.status();
  Env* env = Env::Default();
  ASSERT_TRUE(env->CreateDirs((*p)->data_dir() + "/member/snap").ok());
  {
    auto w = wal::Wal::Create(env, (*p)->data_dir() + "/member/wal", "interrupted");
    ASSERT_TRUE(w.ok()) << w.status();
  }
  ASSERT_TRUE((*p)->Launch().ok());
  ASSERT_TRUE((*p)->WaitReady(absl::Seconds(30)).ok()) << (*p)->LogTail();
  EXPECT_NE(ReadAll((*p)->log_path()).find("holds no records"), std::string::npos);
  ASSERT_EQ(PutMany({(*p)->Endpoint()}, 10, 1, 10), 10);
  ASSERT_TRUE((*p)->Stop().ok());
  ASSERT_TRUE((*p)->Restart(absl::Seconds(30)).ok()) << (*p)->LogTail();
  auto d = DumpMember((*p)->Endpoint());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), 10u);
}

// A watch on prefix "snap/" from `start_rev` at one member, recording every event's revision.
class PrefixWatch {
 public:
  PrefixWatch(const std::string& endpoint, int64_t start_rev)
      : stub_(etcdserverpb::Watch::NewStub(NewChannel(endpoint))) {
    stream_ = stub_->Watch(&ctx_);
    etcdserverpb::WatchRequest req;
    auto* c = req.mutable_create_request();
    c->set_key("snap/");
    c->set_range_end("snap0");
    c->set_start_revision(start_rev);
    stream_->Write(req);
    reader_ = std::thread([this] {
      etcdserverpb::WatchResponse resp;
      while (stream_->Read(&resp)) {
        std::lock_guard<std::mutex> l(mu_);
        if (resp.canceled()) canceled_ = true;
        for (const auto& ev : resp.events()) revs_.push_back(ev.kv().mod_revision());
      }
    });
  }
  ~PrefixWatch() {
    ctx_.TryCancel();
    reader_.join();
  }
  // Waits (bounded) until an event at `rev` arrived; returns the revisions seen.
  std::vector<int64_t> WaitFor(int64_t rev, absl::Duration limit) {
    auto deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (canceled_ || (!revs_.empty() && revs_.back() >= rev)) break;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    std::lock_guard<std::mutex> l(mu_);
    return revs_;
  }

 private:
  std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      stream_;
  std::thread reader_;
  std::mutex mu_;
  std::vector<int64_t> revs_;
  bool canceled_ = false;
};

int64_t RevisionOf(const std::string& endpoint) {
  auto stub = etcdserverpb::KV::NewStub(NewChannel(endpoint));
  etcdserverpb::RangeRequest req;
  req.set_key("snap/");
  req.set_serializable(true);
  etcdserverpb::RangeResponse resp;
  grpc::Status st = stub->Range(ContextWithDeadline(kRpcTimeout).get(), req, &resp);
  return st.ok() ? resp.header().revision() : 0;
}

// The member id of the current leader, as the member at `endpoint` sees it (0: none).
uint64_t LeaderOf(const std::string& endpoint) {
  auto stub = etcdserverpb::Maintenance::NewStub(NewChannel(endpoint));
  etcdserverpb::StatusResponse resp;
  grpc::Status st = stub->Status(ContextWithDeadline(kRpcTimeout).get(), {}, &resp);
  return st.ok() ? resp.leader() : 0;
}

uint64_t MemberIdOf(const std::string& endpoint) {
  auto stub = etcdserverpb::Maintenance::NewStub(NewChannel(endpoint));
  etcdserverpb::StatusResponse resp;
  grpc::Status st = stub->Status(ContextWithDeadline(kRpcTimeout).get(), {}, &resp);
  return st.ok() ? resp.header().member_id() : 0;
}

// Three members with a low --snapshot-count and a small catch-up window. A follower is stopped
// (SIGSTOP) during 20,000 writes from several clients and resumed afterwards: the leader's log
// no longer reaches back to it, so it must rejoin by snapshot; then all dumps are identical.
TEST(SnapshotProcessTest, StoppedFollowerRejoinsBySnapshot) {
  if (Skip()) GTEST_SKIP() << "etcdpp binary not available";
  constexpr int kMembers = 3;
  std::vector<int> client_ports, peer_ports;
  std::string initial_cluster;
  for (int i = 0; i < kMembers; ++i) {
    auto c = PickFreePort();
    auto p = PickFreePort();
    ASSERT_TRUE(c.ok() && p.ok());
    client_ports.push_back(*c);
    peer_ports.push_back(*p);
    absl::StrAppend(&initial_cluster, i == 0 ? "" : ",", "m", i + 1, "=http://127.0.0.1:", *p);
  }
  std::vector<std::unique_ptr<ServerProcess>> members;
  for (int i = 0; i < kMembers; ++i) {
    MemberConfig cfg;
    cfg.name = absl::StrCat("m", i + 1);
    cfg.client_port = client_ports[i];
    cfg.peer_port = peer_ports[i];
    cfg.initial_cluster = initial_cluster;
    cfg.initial_cluster_state = "new";
    cfg.extra_flags = {"--snapshot-count=1000", "--experimental-snapshot-catchup-entries=200"};
    auto m = ServerProcess::Create(BinaryUnderTest(), cfg);
    ASSERT_TRUE(m.ok()) << m.status();
    members.push_back(*std::move(m));
  }
  for (auto& m : members) ASSERT_TRUE(m->Launch().ok());
  for (auto& m : members) ASSERT_TRUE(m->WaitReady(absl::Seconds(30)).ok()) << m->LogTail();

  // Stop a follower: a member that is not the leader.
  uint64_t leader = LeaderOf(members[0]->Endpoint());
  ASSERT_NE(leader, 0u);
  size_t victim = 0, leader_index = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    if (MemberIdOf(members[i]->Endpoint()) == leader) {
      leader_index = i;
    } else {
      victim = i;
    }
  }
  std::vector<std::string> live;
  for (size_t i = 0; i < members.size(); ++i) {
    if (i != victim) live.push_back(members[i]->Endpoint());
  }
  ASSERT_EQ(PutMany(live, 500, 4, 500), 500);
  // A watcher on the member that falls behind: across the snapshot install it must see every
  // revision once, in order (every write is a put under snap/, one revision each).
  const int64_t watch_from = RevisionOf(members[victim]->Endpoint()) + 1;
  ASSERT_GT(watch_from, 1);
  PrefixWatch watch(members[victim]->Endpoint(), watch_from);
  ASSERT_EQ(::kill(members[victim]->pid(), SIGSTOP), 0);
  int acked = PutMany(live, 20000, 16, 7000);
  ASSERT_EQ(::kill(members[victim]->pid(), SIGCONT), 0);
  ASSERT_EQ(acked, 20000);

  auto want = DumpMember(members[leader_index]->Endpoint());
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(want->size(), 7000u);
  for (auto& m : members) {
    EXPECT_TRUE(WaitDumpEquals(m->Endpoint(), *want, absl::Seconds(60)))
        << m->config().name << " differs from the leader\n"
        << m->LogTail();
  }
  const int64_t last_rev = RevisionOf(members[leader_index]->Endpoint());
  std::vector<int64_t> revs = watch.WaitFor(last_rev, absl::Seconds(60));
  ASSERT_FALSE(revs.empty());
  bool contiguous = revs.front() == watch_from && revs.back() == last_rev;
  for (size_t i = 1; i < revs.size() && contiguous; ++i) contiguous = revs[i] == revs[i - 1] + 1;
  EXPECT_TRUE(contiguous) << "watch events from " << watch_from << " to " << last_rev << ": got "
                          << revs.size() << " events, first " << revs.front() << " last "
                          << revs.back();
  // It caught up by a snapshot, not from the log.
  EXPECT_NE(ReadAll(members[victim]->log_path()).find("applied snapshot at index"),
            std::string::npos)
      << members[victim]->LogTail();
  EXPECT_NE(ReadAll(members[leader_index]->log_path()).find("sent database snapshot to member"),
            std::string::npos)
      << members[leader_index]->LogTail();
  // And it serves writes afterwards like the others.
  EXPECT_EQ(PutMany({members[victim]->Endpoint()}, 100, 2, 100), 100);
  if (HasFailure()) {
    for (auto& m : members) m->set_keep_temp_dir(true);
  }
}

}  // namespace
}  // namespace etcdpp::testing
