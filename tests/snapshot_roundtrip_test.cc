// snapshot_roundtrip_test: moving a 3-member cluster's data between etcd 3.4 and etcdpp with
// snapshots, both ways, with real processes (issue 15's round trips).
//
// A 3-member reference etcd cluster gets 100,000 keys with three revisions each (batched in
// transactions), a compaction, leases with keys, users and roles; stock `etcdctl snapshot save`
// saves it; two etcdpp members are restored with stock `etcdctl snapshot restore` (etcdpp adopts
// the data dirs) and the third with our `etcdutl snapshot restore`, and the three form one
// cluster. Every member must serve every key with its value, create and mod revisions and
// version, the compaction, the leases and their keys, the users and roles. Then back: a snapshot
// of the etcdpp cluster, restored with stock etcdctl into a new 3-member etcd cluster, must
// serve the same. Skipped where etcd or etcdctl are not installed.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/auth_setup.h"
#include "harness/binaries.h"
#include "harness/cluster.h"
#include "harness/command.h"
#include "harness/etcdctl.h"
#include "harness/grpc_util.h"
#include "harness/kv_dump.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;
constexpr milliseconds kRpcTimeout{20000};
constexpr int kKeys = 100000;
constexpr int kOpsPerTxn = 100;  // below etcd's --max-txn-ops (128)

// Everything the tests compare, read from one member.
struct State {
  Dump keys;
  std::vector<int64_t> leases;          // ids, sorted
  std::vector<std::string> lease_keys;  // keys attached to each lease, in order
  std::vector<std::string> users;
  std::string reader_perms;  // RoleGet("reader") as text
  int64_t revision = 0;
};

State Read(const std::string& endpoint) {
  State s;
  auto dump = DumpMember(endpoint, kRpcTimeout);
  EXPECT_TRUE(dump.ok()) << dump.status();
  if (dump.ok()) s.keys = *std::move(dump);
  auto lease = pb::Lease::NewStub(NewChannel(endpoint));
  pb::LeaseLeasesResponse ll;
  grpc::Status st =
      lease->LeaseLeases(ContextWithDeadline(kRpcTimeout).get(), pb::LeaseLeasesRequest{}, &ll);
  EXPECT_TRUE(st.ok()) << StatusString(st);
  for (const auto& l : ll.leases()) s.leases.push_back(l.id());
  std::sort(s.leases.begin(), s.leases.end());
  for (int64_t id : s.leases) {
    pb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    req.set_keys(true);
    pb::LeaseTimeToLiveResponse ttl;
    st = lease->LeaseTimeToLive(ContextWithDeadline(kRpcTimeout).get(), req, &ttl);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    EXPECT_GT(ttl.ttl(), 0);
    std::vector<std::string> attached(ttl.keys().begin(), ttl.keys().end());
    std::sort(attached.begin(), attached.end());  // etcd lists them in map order
    std::string keys;
    for (const auto& k : attached) absl::StrAppend(&keys, k, ",");
    s.lease_keys.push_back(absl::StrCat(ttl.grantedttl(), ":", keys));
  }
  auto auth = pb::Auth::NewStub(NewChannel(endpoint));
  pb::AuthUserListResponse ul;
  st = auth->UserList(ContextWithDeadline(kRpcTimeout).get(), pb::AuthUserListRequest{}, &ul);
  EXPECT_TRUE(st.ok()) << StatusString(st);
  s.users.assign(ul.users().begin(), ul.users().end());
  pb::AuthRoleGetRequest rg;
  rg.set_role("reader");
  pb::AuthRoleGetResponse role;
  st = auth->RoleGet(ContextWithDeadline(kRpcTimeout).get(), rg, &role);
  EXPECT_TRUE(st.ok()) << StatusString(st);
  role.clear_header();
  s.reader_perms = role.ShortDebugString();
  auto kv = pb::KV::NewStub(NewChannel(endpoint));
  pb::RangeRequest r;
  r.set_key("k");
  r.set_serializable(true);
  pb::RangeResponse resp;
  st = kv->Range(ContextWithDeadline(kRpcTimeout).get(), r, &resp);
  EXPECT_TRUE(st.ok()) << StatusString(st);
  s.revision = resp.header().revision();
  return s;
}

void ExpectSame(const State& got, const State& want, const std::string& who) {
  EXPECT_EQ(got.keys.size(), want.keys.size()) << who;
  EXPECT_TRUE(got.keys == want.keys) << who << ": keys, values, revisions and versions";
  EXPECT_EQ(got.leases, want.leases) << who;
  EXPECT_EQ(got.lease_keys, want.lease_keys) << who;
  EXPECT_EQ(got.users, want.users) << who;
  EXPECT_EQ(got.reader_perms, want.reader_perms) << who;
  EXPECT_EQ(got.revision, want.revision) << who;
}

void ExpectCompactedAt(const std::string& endpoint, int64_t compact_rev, const std::string& who) {
  auto kv = pb::KV::NewStub(NewChannel(endpoint));
  pb::RangeRequest r;
  r.set_key("key/000001");
  r.set_revision(compact_rev - 1);
  r.set_serializable(true);
  pb::RangeResponse resp;
  grpc::Status st = kv->Range(ContextWithDeadline(kRpcTimeout).get(), r, &resp);
  EXPECT_EQ(st.error_message(), "etcdserver: mvcc: required revision has been compacted") << who;
  r.set_revision(compact_rev);
  st = kv->Range(ContextWithDeadline(kRpcTimeout).get(), r, &resp);
  EXPECT_TRUE(st.ok()) << who << ": " << StatusString(st);
}

// The data set, written through `endpoint`; returns the compaction revision.
int64_t Fill(const std::string& endpoint) {
  auto kv = pb::KV::NewStub(NewChannel(endpoint));
  int64_t rev = 0;
  int64_t compact_rev = 0;
  for (int round = 0; round < 3; ++round) {
    for (int first = 0; first < kKeys; first += kOpsPerTxn) {
      pb::TxnRequest txn;
      for (int i = first; i < std::min(kKeys, first + kOpsPerTxn); ++i) {
        pb::PutRequest* put = txn.add_success()->mutable_request_put();
        put->set_key(absl::StrFormat("key/%06d", i));
        put->set_value(absl::StrCat("value-", round, "-", i));
      }
      pb::TxnResponse resp;
      grpc::Status st = kv->Txn(ContextWithDeadline(kRpcTimeout).get(), txn, &resp);
      EXPECT_TRUE(st.ok()) << StatusString(st);
      if (!st.ok()) return 0;
      rev = resp.header().revision();
    }
    if (round == 1) compact_rev = rev;
  }
  pb::DeleteRangeRequest del;
  del.set_key("key/000007");
  pb::DeleteRangeResponse del_resp;
  EXPECT_TRUE(kv->DeleteRange(ContextWithDeadline(kRpcTimeout).get(), del, &del_resp).ok());
  pb::CompactionRequest compact;
  compact.set_revision(compact_rev);
  compact.set_physical(true);
  pb::CompactionResponse compact_resp;
  EXPECT_TRUE(kv->Compact(ContextWithDeadline(kRpcTimeout).get(), compact, &compact_resp).ok());
  auto lease = pb::Lease::NewStub(NewChannel(endpoint));
  for (int l = 0; l < 10; ++l) {
    pb::LeaseGrantRequest grant;
    grant.set_ttl(3600 + l);
    pb::LeaseGrantResponse granted;
    EXPECT_TRUE(lease->LeaseGrant(ContextWithDeadline(kRpcTimeout).get(), grant, &granted).ok());
    for (int k = 0; k < 3; ++k) {
      pb::PutRequest put;
      put.set_key(absl::StrCat("lease/", l, "/", k));
      put.set_value("v");
      put.set_lease(granted.id());
      pb::PutResponse resp;
      EXPECT_TRUE(kv->Put(ContextWithDeadline(kRpcTimeout).get(), put, &resp).ok());
    }
  }
  auto auth = pb::Auth::NewStub(NewChannel(endpoint));
  for (const char* name : {"alice", "bob", "root"}) {
    pb::AuthUserAddRequest ua;
    ua.set_name(name);
    ua.set_password(absl::StrCat(name, "-pw"));
    pb::AuthUserAddResponse r;
    EXPECT_TRUE(auth->UserAdd(ContextWithDeadline(kRpcTimeout).get(), ua, &r).ok());
  }
  AddReaderRole(auth.get(), kRpcTimeout);
  return compact_rev;
}

std::string SaveSnapshot(const std::string& endpoint, const std::string& path) {
  int rc = 0;
  const std::string out = RunCommand(
      absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl, " --command-timeout 60s --endpoints ", endpoint,
                   " snapshot save ", path),
      &rc);
  EXPECT_EQ(rc, 0) << out;
  return path;
}

// Restores `snap` into `m`'s data dir as a member of the cluster its flags describe; `tool` is
// the stock etcdctl ("ETCDCTL_API=3 /usr/bin/etcdctl") or our etcdutl.
void RestoreInto(const std::string& tool, const std::string& snap, ServerProcess* m) {
  std::filesystem::remove_all(m->data_dir());
  int rc = 0;
  const std::string out = RunCommand(
      absl::StrCat(tool, " snapshot restore ", snap, " --data-dir ", m->data_dir(), " --name ",
                   m->config().name, " --initial-cluster ", m->config().initial_cluster,
                   " --initial-advertise-peer-urls ", m->PeerUrl(), " 2>&1"),
      &rc);
  EXPECT_EQ(rc, 0) << out;
}

TEST(SnapshotRoundTripTest, ThreeMemberClustersEtcdToEtcdppAndBack) {
  std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
  if (why.empty()) why = WhyNotRunnable(FlavorByName("etcd"));
  if (why.empty() && access(kStockEtcdctl, X_OK) != 0) why = "no /usr/bin/etcdctl";
  if (!why.empty()) GTEST_SKIP() << why;
  const std::string stock = absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl);
  const std::string etcdutl =
      (std::filesystem::path(BinaryUnderTest()).parent_path() / "etcdutl").string();

  auto etcd = Cluster::Start(ReferenceBinary(), 3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const int64_t compact_rev = Fill((*etcd)->member(0).Endpoint());
  ASSERT_FALSE(::testing::Test::HasFailure());
  const State want = Read((*etcd)->member(2).Endpoint());
  ASSERT_EQ(want.keys.size(), static_cast<size_t>(kKeys - 1 + 30));
  ASSERT_EQ(want.leases.size(), 10u);
  const std::string snap =
      SaveSnapshot((*etcd)->member(1).Endpoint(), (*etcd)->member(1).temp_dir() + "/etcd.db");
  ASSERT_FALSE(::testing::Test::HasFailure());

  // etcd -> etcdpp: two members restored by stock etcdctl (adopted), one by our etcdutl.
  int restored = 0;
  auto ours = Cluster::Start(BinaryUnderTest(), 3, {}, absl::Seconds(60), [&](ServerProcess* m) {
    RestoreInto(restored++ < 2 ? stock : etcdutl, snap, m);
  });
  ASSERT_TRUE(ours.ok()) << ours.status();
  for (int i = 0; i < 3; ++i) {
    const std::string who = absl::StrCat("etcdpp member ", i);
    ExpectSame(Read((*ours)->member(i).Endpoint()), want, who);
    ExpectCompactedAt((*ours)->member(i).Endpoint(), compact_rev, who);
  }

  // etcdpp -> etcd.
  const std::string back =
      SaveSnapshot((*ours)->member(0).Endpoint(), (*ours)->member(0).temp_dir() + "/ours.db");
  ASSERT_FALSE(::testing::Test::HasFailure());
  auto etcd2 = Cluster::Start(ReferenceBinary(), 3, {}, absl::Seconds(60),
                              [&](ServerProcess* m) { RestoreInto(stock, back, m); });
  ASSERT_TRUE(etcd2.ok()) << etcd2.status();
  for (int i = 0; i < 3; ++i) {
    const std::string who = absl::StrCat("etcd member ", i, " restored from etcdpp");
    ExpectSame(Read((*etcd2)->member(i).Endpoint()), want, who);
    ExpectCompactedAt((*etcd2)->member(i).Endpoint(), compact_rev, who);
  }
}

}  // namespace
}  // namespace etcdpp::testing
