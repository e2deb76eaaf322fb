// etcd_adopt_test: etcdpp started on a data dir written by etcd 3.4 takes it over, with real
// processes: the reference etcd serves keys with several revisions, a delete, a compaction, a
// lease and users and roles; then
//  - stock `etcdctl snapshot save` + `snapshot restore` make a data dir that etcdpp starts on
//    (etcd's migration path, and e2e's TestIssue6361), and
//  - a cleanly stopped etcd member's own data dir (no snap file: its membership comes from the
//    WAL's conf changes and published attributes) is adopted in place.
// Each time etcdpp must serve what etcd served: every key with its value, create and mod
// revisions and version, the compacted revision, the lease with its keys, the users and roles;
// it keeps etcd's files in member.etcd, restarts normally afterwards, and goes on writing at
// the next revision. Skipped where etcd or etcdctl are not installed.

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
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

// What the source served, to compare with etcdpp after the move.
struct Served {
  Dump keys;
  int64_t compact_rev = 0;
  int64_t last_rev = 0;
  int64_t lease_id = 0;
  std::vector<std::string> users;
  std::vector<std::string> roles;
};

class EtcdAdoptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
    if (why.empty()) why = WhyNotRunnable(FlavorByName("etcd"));
    if (why.empty() && access(kStockEtcdctl, X_OK) != 0) why = "no /usr/bin/etcdctl";
    if (!why.empty()) GTEST_SKIP() << why;
  }

  // Writes the data set through `endpoint` and records what is served.
  static void Fill(const std::string& endpoint, Served* s) {
    auto kv = pb::KV::NewStub(NewChannel(endpoint));
    auto put = [&](const std::string& k, const std::string& v, int64_t lease = 0) {
      pb::PutRequest req;
      req.set_key(k);
      req.set_value(v);
      req.set_lease(lease);
      pb::PutResponse resp;
      grpc::Status st = kv->Put(ContextWithDeadline(kRpcTimeout).get(), req, &resp);
      EXPECT_TRUE(st.ok()) << StatusString(st);
      return resp.header().revision();
    };
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 100; ++i) put(absl::StrCat("key/", i), absl::StrCat("v", round, "-", i));
    }
    pb::DeleteRangeRequest del;
    del.set_key("key/7");
    pb::DeleteRangeResponse del_resp;
    EXPECT_TRUE(kv->DeleteRange(ContextWithDeadline(kRpcTimeout).get(), del, &del_resp).ok());
    s->compact_rev = put("before-compact", "x");
    pb::CompactionRequest compact;
    compact.set_revision(s->compact_rev);
    compact.set_physical(true);
    pb::CompactionResponse compact_resp;
    EXPECT_TRUE(kv->Compact(ContextWithDeadline(kRpcTimeout).get(), compact, &compact_resp).ok());
    auto lease = pb::Lease::NewStub(NewChannel(endpoint));
    pb::LeaseGrantRequest grant;
    grant.set_ttl(3600);
    pb::LeaseGrantResponse granted;
    EXPECT_TRUE(lease->LeaseGrant(ContextWithDeadline(kRpcTimeout).get(), grant, &granted).ok());
    s->lease_id = granted.id();
    put("with-lease", "v", granted.id());
    s->last_rev = put("key/1", "last");
    auto auth = pb::Auth::NewStub(NewChannel(endpoint));
    pb::AuthUserAddRequest ua;
    ua.set_name("alice");
    ua.set_password("secret");
    pb::AuthUserAddResponse ua_resp;
    EXPECT_TRUE(auth->UserAdd(ContextWithDeadline(kRpcTimeout).get(), ua, &ua_resp).ok());
    pb::AuthRoleAddRequest ra;
    ra.set_name("reader");
    pb::AuthRoleAddResponse ra_resp;
    EXPECT_TRUE(auth->RoleAdd(ContextWithDeadline(kRpcTimeout).get(), ra, &ra_resp).ok());
    pb::AuthRoleGrantPermissionRequest gp;
    gp.set_name("reader");
    gp.mutable_perm()->set_permtype(authpb::Permission::READ);
    gp.mutable_perm()->set_key("key/");
    gp.mutable_perm()->set_range_end("key0");
    pb::AuthRoleGrantPermissionResponse gp_resp;
    EXPECT_TRUE(
        auth->RoleGrantPermission(ContextWithDeadline(kRpcTimeout).get(), gp, &gp_resp).ok());
    pb::AuthUserGrantRoleRequest gr;
    gr.set_user("alice");
    gr.set_role("reader");
    pb::AuthUserGrantRoleResponse gr_resp;
    EXPECT_TRUE(auth->UserGrantRole(ContextWithDeadline(kRpcTimeout).get(), gr, &gr_resp).ok());
    auto dump = DumpMember(endpoint);
    ASSERT_TRUE(dump.ok()) << dump.status();
    s->keys = *std::move(dump);
    ASSERT_EQ(s->keys.size(), 101u);
  }

  // etcdpp at `endpoint` serves what `s` records.
  static void ExpectServes(const std::string& endpoint, const Served& s) {
    auto dump = DumpMember(endpoint);
    ASSERT_TRUE(dump.ok()) << dump.status();
    EXPECT_EQ(*dump, s.keys) << "keys, values, create/mod revisions and versions";
    auto kv = pb::KV::NewStub(NewChannel(endpoint));
    pb::RangeRequest old;
    old.set_key("key/1");
    old.set_revision(s.compact_rev - 1);
    pb::RangeResponse resp;
    grpc::Status st = kv->Range(ContextWithDeadline(kRpcTimeout).get(), old, &resp);
    EXPECT_EQ(st.error_message(), "etcdserver: mvcc: required revision has been compacted");
    pb::RangeRequest at;
    at.set_key("key/1");
    at.set_revision(s.compact_rev);
    st = kv->Range(ContextWithDeadline(kRpcTimeout).get(), at, &resp);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    ASSERT_EQ(resp.kvs_size(), 1);
    EXPECT_EQ(resp.kvs(0).value(), "v2-1") << "history after the compaction is kept";
    EXPECT_EQ(resp.header().revision(), s.last_rev);

    auto lease = pb::Lease::NewStub(NewChannel(endpoint));
    pb::LeaseTimeToLiveRequest ttl_req;
    ttl_req.set_id(s.lease_id);
    ttl_req.set_keys(true);
    pb::LeaseTimeToLiveResponse ttl;
    st = lease->LeaseTimeToLive(ContextWithDeadline(kRpcTimeout).get(), ttl_req, &ttl);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    EXPECT_EQ(ttl.grantedttl(), 3600);
    EXPECT_GT(ttl.ttl(), 0);
    ASSERT_EQ(ttl.keys_size(), 1);
    EXPECT_EQ(ttl.keys(0), "with-lease");

    auto auth = pb::Auth::NewStub(NewChannel(endpoint));
    pb::AuthUserGetRequest ug;
    ug.set_name("alice");
    pb::AuthUserGetResponse ug_resp;
    st = auth->UserGet(ContextWithDeadline(kRpcTimeout).get(), ug, &ug_resp);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    ASSERT_EQ(ug_resp.roles_size(), 1);
    EXPECT_EQ(ug_resp.roles(0), "reader");
    pb::AuthRoleGetRequest rg;
    rg.set_role("reader");
    pb::AuthRoleGetResponse rg_resp;
    st = auth->RoleGet(ContextWithDeadline(kRpcTimeout).get(), rg, &rg_resp);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    ASSERT_EQ(rg_resp.perm_size(), 1);
    EXPECT_EQ(rg_resp.perm(0).key(), "key/");
    EXPECT_EQ(rg_resp.perm(0).range_end(), "key0");
    EXPECT_EQ(rg_resp.perm(0).permtype(), authpb::Permission::READ);
    pb::AuthenticateRequest login;
    login.set_name("alice");
    login.set_password("secret");
    pb::AuthenticateResponse login_resp;
    st = auth->Authenticate(ContextWithDeadline(kRpcTimeout).get(), login, &login_resp);
    EXPECT_EQ(st.error_message(), "etcdserver: authentication is not enabled")
        << "auth stays disabled, as it was";
  }

  // Writing goes on at the next revision; the member list names the member.
  static void ExpectWritable(const std::string& endpoint, const Served& s,
                             const std::string& name) {
    auto kv = pb::KV::NewStub(NewChannel(endpoint));
    pb::PutRequest req;
    req.set_key("after");
    req.set_value("x");
    pb::PutResponse resp;
    grpc::Status st = kv->Put(ContextWithDeadline(kRpcTimeout).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    EXPECT_EQ(resp.header().revision(), s.last_rev + 1);
    auto cluster = pb::Cluster::NewStub(NewChannel(endpoint));
    pb::MemberListResponse ml;
    st = cluster->MemberList(ContextWithDeadline(kRpcTimeout).get(), pb::MemberListRequest{}, &ml);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    ASSERT_EQ(ml.members_size(), 1);
    EXPECT_EQ(ml.members(0).name(), name);
  }
};

TEST_F(EtcdAdoptTest, RestoredEtcdSnapshotStartsEtcdpp) {
  MemberConfig src_cfg;
  src_cfg.name = "src";
  auto etcd = ServerProcess::Start(ReferenceBinary(), src_cfg, absl::Seconds(30));
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  Served served;
  Fill((*etcd)->Endpoint(), &served);
  if (HasFailure()) return;
  const std::string snap = (*etcd)->temp_dir() + "/snap.db";
  int rc = 0;
  std::string out = RunCommand(absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl, " --endpoints ",
                                            (*etcd)->Endpoint(), " snapshot save ", snap),
                               &rc);
  ASSERT_EQ(rc, 0) << out;

  MemberConfig cfg;
  cfg.name = "moved";
  auto ours = ServerProcess::Create(BinaryUnderTest(), cfg);
  ASSERT_TRUE(ours.ok()) << ours.status();
  out = RestoreSnapshotInto(snap, **ours, &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE((*ours)->Launch().ok());
  absl::Status ready = (*ours)->WaitReady(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready << (*ours)->LogTail();
  ExpectServes((*ours)->Endpoint(), served);
  EXPECT_TRUE(std::filesystem::is_directory((*ours)->data_dir() + "/member.etcd"))
      << "etcd's original files are kept";
  EXPECT_NE(
      RunCommand(absl::StrCat("grep -c \"adopted etcd's data dir\" ", (*ours)->log_path()), &rc),
      "0\n");

  // A normal restart now, and the member goes on at the next revision.
  ASSERT_TRUE((*ours)->Kill().ok());
  ready = (*ours)->Restart(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready << (*ours)->LogTail();
  ExpectServes((*ours)->Endpoint(), served);
  ExpectWritable((*ours)->Endpoint(), served, "moved");
}

TEST_F(EtcdAdoptTest, StoppedEtcdMembersDataDirIsAdoptedInPlace) {
  MemberConfig cfg;
  cfg.name = "inplace";
  auto etcd = ServerProcess::Start(ReferenceBinary(), cfg, absl::Seconds(30));
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  Served served;
  Fill((*etcd)->Endpoint(), &served);
  if (HasFailure()) return;
  ASSERT_TRUE((*etcd)->Stop(absl::Seconds(20)).ok());  // SIGTERM: etcd commits its backend

  // etcdpp on the same data dir (a copy), ports and flags.
  MemberConfig same = (*etcd)->config();
  auto ours = ServerProcess::Create(BinaryUnderTest(), same);
  ASSERT_TRUE(ours.ok()) << ours.status();
  std::filesystem::remove_all((*ours)->data_dir());
  std::filesystem::copy((*etcd)->data_dir(), (*ours)->data_dir(),
                        std::filesystem::copy_options::recursive);
  ASSERT_TRUE((*ours)->Launch().ok());
  absl::Status ready = (*ours)->WaitReady(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready << (*ours)->LogTail();
  ExpectServes((*ours)->Endpoint(), served);
  ExpectWritable((*ours)->Endpoint(), served, "inplace");
}

}  // namespace
}  // namespace etcdpp::testing
