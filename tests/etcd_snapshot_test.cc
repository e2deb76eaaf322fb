// etcd_snapshot_test: Maintenance.Snapshot against the stock etcd tools, with real processes.
//
// etcdpp serves keys with several revisions, a delete, a lease and a compaction; stock
// `etcdctl snapshot save` (Debian etcd-client 3.4) saves its snapshot; `snapshot status -w json`
// must report the revision, key count, size and hash of the file (recomputed here with our bbolt
// reader, and the SHA-256 trailer checked); `snapshot restore` makes a data dir on which the
// reference etcd 3.4 starts and serves the same keys, values, create and mod revisions and
// versions, the lease, and the compaction. Skipped where etcdctl or etcd are not installed.

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "backend/bbolt/reader.h"
#include "backend/bbolt/sink.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/command.h"
#include "harness/etcdctl.h"
#include "harness/grpc_util.h"
#include "harness/kv_dump.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;
constexpr milliseconds kRpcTimeout{5000};
constexpr const char* kEtcdctl = kStockEtcdctl;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What `snapshot status` computes, from our reader: CRC-32C over bucket names, keys and values,
// and the number of keys.
struct SnapStatus {
  uint32_t hash = 0;
  int64_t keys = 0;
  uint64_t size = 0;
};
absl::StatusOr<SnapStatus> StatusOf(const std::string& path) {
  ASSIGN_OR_RETURN(auto r, backend::bbolt::Reader::Open(path));
  RETURN_NOT_OK(r->Check());
  SnapStatus s;
  s.size = r->size();
  absl::Status inner;
  RETURN_NOT_OK(r->ForEach(r->root(), [&](std::string_view name, std::string_view, bool) {
    s.hash = crc32c::Extend(s.hash, name);
    auto b = r->Bucket(r->root(), name);
    inner = b.ok() ? r->ForEach(*b,
                                [&](std::string_view k, std::string_view v, bool) {
                                  s.hash = crc32c::Extend(crc32c::Extend(s.hash, k), v);
                                  ++s.keys;
                                  return true;
                                })
                   : b.status();
    return inner.ok();
  }));
  RETURN_NOT_OK(inner);
  return s;
}

class EtcdSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
    if (why.empty()) why = WhyNotRunnable(FlavorByName("etcd"));
    if (why.empty() && access(kEtcdctl, X_OK) != 0) why = "no /usr/bin/etcdctl";
    if (!why.empty()) GTEST_SKIP() << why;
    MemberConfig cfg;
    cfg.name = "src";
    auto p = ServerProcess::Start(BinaryUnderTest(), cfg, absl::Seconds(30));
    ASSERT_TRUE(p.ok()) << p.status();
    server_ = *std::move(p);
    kv_ = pb::KV::NewStub(NewChannel(server_->Endpoint()));
    lease_ = pb::Lease::NewStub(NewChannel(server_->Endpoint()));
  }

  int64_t Put(const std::string& k, const std::string& v, int64_t lease = 0) {
    pb::PutRequest req;
    req.set_key(k);
    req.set_value(v);
    req.set_lease(lease);
    pb::PutResponse resp;
    grpc::Status st = kv_->Put(ContextWithDeadline(kRpcTimeout).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp.header().revision();
  }

  // `etcdctl snapshot save` against the server; the file's path.
  std::string Save() {
    const std::string snap = server_->temp_dir() + "/snap.db";
    int rc = 0;
    const std::string out = RunCommand(absl::StrCat("ETCDCTL_API=3 ", kEtcdctl, " --endpoints ",
                                                    server_->Endpoint(), " snapshot save ", snap),
                                       &rc);
    EXPECT_EQ(rc, 0) << out;
    return snap;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<pb::KV::Stub> kv_;
  std::unique_ptr<pb::Lease::Stub> lease_;
};

TEST_F(EtcdSnapshotTest, StockEtcdctlSavesAndEtcdServesTheRestoredData) {
  // Data: keys with several versions, a delete, a compaction, a lease with a key.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) {
      Put(absl::StrCat("key/", i), absl::StrCat("value-", round, "-", std::string(i, 'x')));
    }
  }
  pb::DeleteRangeRequest del;
  del.set_key("key/7");
  pb::DeleteRangeResponse del_resp;
  ASSERT_TRUE(kv_->DeleteRange(ContextWithDeadline(kRpcTimeout).get(), del, &del_resp).ok());
  const int64_t compact_rev = Put("before-compact", "x");
  pb::CompactionRequest compact;
  compact.set_revision(compact_rev);
  compact.set_physical(true);
  pb::CompactionResponse compact_resp;
  ASSERT_TRUE(kv_->Compact(ContextWithDeadline(kRpcTimeout).get(), compact, &compact_resp).ok());
  pb::LeaseGrantRequest grant;
  grant.set_ttl(3600);
  pb::LeaseGrantResponse granted;
  ASSERT_TRUE(lease_->LeaseGrant(ContextWithDeadline(kRpcTimeout).get(), grant, &granted).ok());
  const int64_t last_rev = Put("with-lease", "v", granted.id());

  // Save with the stock client; status must agree with the file's contents.
  const std::string snap = Save();
  if (HasFailure()) return;
  int rc = 0;
  std::string out;
  const std::string bytes = ReadFile(snap);
  ASSERT_GT(bytes.size(), 32u);
  backend::bbolt::Sha256 sha;
  sha.Update(std::string_view(bytes).substr(0, bytes.size() - 32));
  const auto digest = sha.Finish();
  EXPECT_EQ(bytes.substr(bytes.size() - 32),
            std::string(reinterpret_cast<const char*>(digest.data()), 32))
      << "the trailer is the SHA-256 of the database";

  out =
      RunCommand(absl::StrCat("ETCDCTL_API=3 ", kEtcdctl, " snapshot status -w json ", snap), &rc);
  ASSERT_EQ(rc, 0) << out;
  absl::StatusOr<SnapStatus> want = StatusOf(snap);
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_EQ(JsonInt(out, "revision"), last_rev) << out;
  EXPECT_EQ(JsonInt(out, "hash"), want->hash) << out;
  EXPECT_EQ(JsonInt(out, "totalKey"), want->keys) << out;
  EXPECT_EQ(JsonInt(out, "totalSize"), static_cast<int64_t>(want->size)) << out;
  EXPECT_EQ(want->size + 32, bytes.size());

  // Restore into the data dir of a reference etcd member and start it there.
  MemberConfig cfg;
  cfg.name = "restored";
  auto etcd = ServerProcess::Create(ReferenceBinary(), cfg);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  out = RestoreSnapshotInto(snap, **etcd, &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE((*etcd)->Launch().ok());
  absl::Status ready = (*etcd)->WaitReady(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready << (*etcd)->LogTail();

  auto ours = DumpMember(server_->Endpoint());
  auto theirs = DumpMember((*etcd)->Endpoint());
  ASSERT_TRUE(ours.ok()) << ours.status();
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(ours->size(), 201u);
  EXPECT_EQ(*ours, *theirs) << "keys, values, create/mod revisions and versions";

  auto etcd_kv = pb::KV::NewStub(NewChannel((*etcd)->Endpoint()));
  pb::RangeRequest at_compacted;
  at_compacted.set_key("key/1");
  at_compacted.set_revision(compact_rev - 1);
  pb::RangeResponse range_resp;
  grpc::Status st =
      etcd_kv->Range(ContextWithDeadline(kRpcTimeout).get(), at_compacted, &range_resp);
  EXPECT_EQ(st.error_message(), "etcdserver: mvcc: required revision has been compacted");
  pb::RangeRequest latest;
  latest.set_key("with-lease");
  ASSERT_TRUE(etcd_kv->Range(ContextWithDeadline(kRpcTimeout).get(), latest, &range_resp).ok());
  EXPECT_EQ(range_resp.header().revision(), last_rev);
  ASSERT_EQ(range_resp.kvs_size(), 1);
  EXPECT_EQ(range_resp.kvs(0).lease(), granted.id());

  auto etcd_lease = pb::Lease::NewStub(NewChannel((*etcd)->Endpoint()));
  pb::LeaseTimeToLiveRequest ttl_req;
  ttl_req.set_id(granted.id());
  ttl_req.set_keys(true);
  pb::LeaseTimeToLiveResponse ttl;
  st = etcd_lease->LeaseTimeToLive(ContextWithDeadline(kRpcTimeout).get(), ttl_req, &ttl);
  ASSERT_TRUE(st.ok()) << StatusString(st);
  EXPECT_EQ(ttl.grantedttl(), 3600);
  EXPECT_GT(ttl.ttl(), 0);
  ASSERT_EQ(ttl.keys_size(), 1);
  EXPECT_EQ(ttl.keys(0), "with-lease");
  ASSERT_TRUE((*etcd)->Stop().ok());
}

// Anonymous resident memory (not the mapped database file), in KiB.
int64_t RssAnonKiB(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    int64_t v = 0;
    if (line.rfind("RssAnon:", 0) == 0 && absl::SimpleAtoi(line.substr(8, line.size() - 11), &v)) {
      return v;
    }
  }
  return -1;
}

// A client that reads one message and stalls: writes go on, the server does not buffer the
// file, and the snapshot is of the moment the call began (the writes made meanwhile are not in
// it). Then the rest: etcd's framing (32 KiB blobs, remaining_bytes, the SHA-256 last).
TEST_F(EtcdSnapshotTest, SlowClientHoldsUpNothingAndGetsAPointInTimeCopy) {
  const std::string big(64 * 1024, 'b');
  int64_t rev = 0;
  for (int i = 0; i < 400; ++i) rev = Put(absl::StrCat("big/", i), big);  // ~26 MB

  auto stub = pb::Maintenance::NewStub(NewChannel(server_->Endpoint()));
  grpc::ClientContext ctx;
  auto reader = stub->Snapshot(&ctx, pb::SnapshotRequest());
  pb::SnapshotResponse msg;
  ASSERT_TRUE(reader->Read(&msg));
  ASSERT_EQ(msg.blob().size(), 32u * 1024);
  const uint64_t total = msg.remaining_bytes() + msg.blob().size();
  EXPECT_GT(total, 26u << 20);
  EXPECT_EQ(total % 4096, 0u);
  std::string db = msg.blob();
  const int64_t rss_before = RssAnonKiB(server_->pid());

  for (int i = 0; i < 50; ++i) Put(absl::StrCat("during/", i), big);  // not held up
  const int64_t rss_after = RssAnonKiB(server_->pid());
  ASSERT_GT(rss_before, 0);
  EXPECT_LT(rss_after - rss_before, 16 * 1024)
      << "the server must not buffer the " << total << "-byte file for a stalled client";

  uint64_t last_remaining = msg.remaining_bytes();
  while (reader->Read(&msg)) {
    if (db.size() == total) {  // the digest
      EXPECT_EQ(msg.remaining_bytes(), 0u);
      EXPECT_EQ(msg.blob().size(), 32u);
      backend::bbolt::Sha256 sha;
      sha.Update(db);
      const auto digest = sha.Finish();
      EXPECT_EQ(msg.blob(), std::string(reinterpret_cast<const char*>(digest.data()), 32));
      db += msg.blob();
      continue;
    }
    EXPECT_EQ(msg.remaining_bytes(), last_remaining - msg.blob().size());
    last_remaining = msg.remaining_bytes();
    db += msg.blob();
  }
  grpc::Status st = reader->Finish();
  ASSERT_TRUE(st.ok()) << StatusString(st);
  ASSERT_EQ(db.size(), total + 32);

  const std::string path = server_->temp_dir() + "/stalled.db";
  std::ofstream(path, std::ios::binary) << db;
  auto r = backend::bbolt::Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  auto key = (*r)->Bucket((*r)->root(), "key");
  ASSERT_TRUE(key.ok()) << key.status();
  int64_t keys = 0;
  ASSERT_TRUE((*r)->ForEach(*key,
                            [&](std::string_view, std::string_view, bool) {
                              ++keys;
                              return true;
                            })
                  .ok());
  EXPECT_EQ(keys, rev - 1) << "every revision up to the call, none made during it";
}

TEST_F(EtcdSnapshotTest, DamagedSnapshotIsRefusedByRestore) {
  Put("a", "b");
  const std::string snap = Save();
  if (HasFailure()) return;
  int rc = 0;
  std::string out;
  {
    std::fstream f(snap, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3 * 4096 + 100);
    f.put('\x7f');
  }
  out = RunCommand(absl::StrCat("ETCDCTL_API=3 ", kEtcdctl, " snapshot restore ", snap,
                                " --data-dir ", server_->temp_dir(), "/restored"),
                   &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("expected sha256"), std::string::npos) << out;
}

}  // namespace
}  // namespace etcdpp::testing
