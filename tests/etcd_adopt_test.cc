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
// the next revision. Our `etcdutl snapshot restore` makes the same move without etcd's tools,
// and its `snapshot status` and its errors on bad snapshots are stock etcdctl's. Skipped where
// etcd or etcdctl are not installed.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/auth_setup.h"
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

std::string Etcdutl() {
  return (std::filesystem::path(BinaryUnderTest()).parent_path() / "etcdutl").string();
}

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
  // A reference etcd filled with the data set, and its snapshot saved by stock etcdctl.
  std::string SaveFilledEtcd(Served* served) {
    MemberConfig src_cfg;
    src_cfg.name = "src";
    auto etcd = ServerProcess::Start(ReferenceBinary(), src_cfg, absl::Seconds(30));
    EXPECT_TRUE(etcd.ok()) << etcd.status();
    if (!etcd.ok()) return "";
    source_ = *std::move(etcd);
    Fill(source_->Endpoint(), served);
    const std::string snap = source_->temp_dir() + "/snap.db";
    int rc = 0;
    std::string out = RunCommand(absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl, " --endpoints ",
                                              source_->Endpoint(), " snapshot save ", snap),
                                 &rc);
    EXPECT_EQ(rc, 0) << out;
    return snap;
  }

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
    AddReaderRole(auth.get(), kRpcTimeout);
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

  std::unique_ptr<ServerProcess> source_;
};

TEST_F(EtcdAdoptTest, RestoredEtcdSnapshotStartsEtcdpp) {
  Served served;
  const std::string snap = SaveFilledEtcd(&served);
  if (HasFailure()) return;
  int rc = 0;
  std::string out;

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

// A damaged etcd WAL: etcdpp refuses to start, naming the file and the offset, and leaves the
// data dir as it found it.
TEST_F(EtcdAdoptTest, DamagedEtcdWalIsRefusedAndTheDataDirLeftAlone) {
  MemberConfig cfg;
  cfg.name = "damaged";
  auto etcd = ServerProcess::Start(ReferenceBinary(), cfg, absl::Seconds(30));
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  Served served;
  Fill((*etcd)->Endpoint(), &served);
  if (HasFailure()) return;
  ASSERT_TRUE((*etcd)->Stop(absl::Seconds(20)).ok());
  auto ours = ServerProcess::Create(BinaryUnderTest(), (*etcd)->config());
  ASSERT_TRUE(ours.ok()) << ours.status();
  const std::string data = (*ours)->data_dir();
  std::filesystem::remove_all(data);
  std::filesystem::copy((*etcd)->data_dir(), data, std::filesystem::copy_options::recursive);
  const std::string wal = data + "/member/wal/0000000000000000-0000000000000000.wal";
  {
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(300);  // inside one of the first records (metadata, conf change, ...)
    f.put('\x5a');
  }
  ASSERT_TRUE((*ours)->Launch().ok());
  for (int i = 0; i < 200 && (*ours)->Running(); ++i) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_FALSE((*ours)->Running()) << "etcdpp must refuse the damaged WAL";
  const std::string log = (*ours)->LogTail(20);
  EXPECT_NE(log.find(wal), std::string::npos) << log;
  EXPECT_NE(log.find("offset"), std::string::npos) << log;
  EXPECT_TRUE(std::filesystem::exists(data + "/member/snap/db"));
  EXPECT_FALSE(std::filesystem::exists(data + "/member.etcd"));
  EXPECT_FALSE(std::filesystem::exists(data + "/member.adopted"));
}

TEST_F(EtcdAdoptTest, EtcdutlRestoresAnEtcdSnapshotForEtcdpp) {
  Served served;
  const std::string snap = SaveFilledEtcd(&served);
  if (HasFailure()) return;
  for (const char* format : {"simple", "json", "table", "fields", "protobuf"}) {
    int stock_rc = 0;
    int our_rc = 0;
    const std::string stock = RunCommand(
        absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl, " snapshot status -w ", format, " ", snap),
        &stock_rc);
    const std::string ours =
        RunCommand(absl::StrCat(Etcdutl(), " snapshot status -w ", format, " ", snap), &our_rc);
    EXPECT_EQ(ours, stock) << format;
    EXPECT_EQ(our_rc, stock_rc) << format;
  }

  MemberConfig cfg;
  cfg.name = "moved";
  auto ours = ServerProcess::Create(BinaryUnderTest(), cfg);
  ASSERT_TRUE(ours.ok()) << ours.status();
  std::filesystem::remove_all((*ours)->data_dir());
  int rc = 0;
  const std::string out = RunCommand(
      absl::StrCat(Etcdutl(), " snapshot restore ", snap, " --data-dir ", (*ours)->data_dir(),
                   " --name moved --initial-cluster moved=", (*ours)->PeerUrl(),
                   " --initial-advertise-peer-urls ", (*ours)->PeerUrl(), " 2>&1"),
      &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"msg\":\"added member\""), std::string::npos) << out;
  ASSERT_TRUE((*ours)->Launch().ok());
  absl::Status ready = (*ours)->WaitReady(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready << (*ours)->LogTail();
  ExpectServes((*ours)->Endpoint(), served);
  ExpectWritable((*ours)->Endpoint(), served, "moved");
  EXPECT_FALSE(std::filesystem::exists((*ours)->data_dir() + "/member.etcd"))
      << "etcdutl writes etcdpp's formats: nothing to adopt";
}

// Damaged snapshots and a taken data dir: stock etcdctl's message and exit code, and nothing
// left behind by ours.
TEST_F(EtcdAdoptTest, BadSnapshotsAreRefusedAsEtcdRefusesThem) {
  Served served;
  const std::string snap = SaveFilledEtcd(&served);
  if (HasFailure()) return;
  const std::string dir = source_->temp_dir();
  std::string bytes;
  {
    std::ifstream in(snap, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto write = [&](const std::string& name, const std::string& b) {
    std::ofstream(dir + "/" + name, std::ios::binary | std::ios::trunc) << b;
    return dir + "/" + name;
  };
  std::string flipped = bytes;
  flipped[5000] ^= 0x10;
  std::filesystem::create_directories(dir + "/taken");
  struct Case {
    std::string file;
    std::string extra;
    std::string target;
    bool same_message;
  };
  const std::vector<Case> cases = {
      {write("flipped.db", flipped), "", "t1", true},
      {write("truncated.db", bytes.substr(0, bytes.size() - 100)), "", "t2", true},
      {snap, "", "taken", true},
      {write("junk.db", std::string(8192 + 32, 'j')), " --skip-hash-check", "t3", false},
  };
  for (const Case& c : cases) {
    const std::string flags = absl::StrCat(
        " --name m --initial-cluster m=http://127.0.0.1:1 "
        "--initial-advertise-peer-urls http://127.0.0.1:1",
        c.extra);
    int stock_rc = 0;
    int our_rc = 0;
    const std::string stock_dir = dir + "/stock-" + c.target;
    const std::string our_dir = c.target == "taken" ? dir + "/taken" : dir + "/ours-" + c.target;
    std::string stock =
        RunCommand(absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl, " snapshot restore ", c.file,
                                flags, " --data-dir ", c.target == "taken" ? our_dir : stock_dir,
                                " 2>&1 >/dev/null | grep '^Error'"),
                   &stock_rc);
    std::string ours =
        RunCommand(absl::StrCat(Etcdutl(), " snapshot restore ", c.file, flags, " --data-dir ",
                                our_dir, " 2>&1 >/dev/null | grep '^Error'"),
                   &our_rc);
    EXPECT_NE(ours, "") << c.file;
    if (c.same_message) {
      EXPECT_EQ(ours, stock) << c.file;
    } else {
      EXPECT_NE(ours.find(c.file), std::string::npos) << ours;
    }
    int rc = 0;
    RunCommand(
        absl::StrCat(Etcdutl(), " snapshot restore ", c.file, flags, " --data-dir ", our_dir), &rc);
    EXPECT_EQ(rc, 1) << c.file;
    if (c.target != "taken") {
      EXPECT_FALSE(std::filesystem::exists(our_dir)) << "nothing half-written: " << c.file;
    }
  }
}

}  // namespace
}  // namespace etcdpp::testing
