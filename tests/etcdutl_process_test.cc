// etcdutl_process_test: our etcdutl's offline commands on a real member's data dir.
//   defrag   a member takes writes, overwrites, deletes and a compaction, is stopped; `etcdutl
//            defrag --data-dir` shrinks its db file and the restarted member serves every key
//            as before. While the member runs, the data dir is refused (exit 1, etcd's
//            "Failed to defragment etcd data[...]" form) and the file is left alone.
//   backup   a stopped member's data dir (with and without raft snapshots) is backed up; etcdpp
//            started on the backup with --force-new-cluster serves every key, alone, under the
//            backup's new member id. A running member's data dir is refused.
//   the command line: cobra's help, usage and errors as etcd 3.5's etcdutl prints them.

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/command.h"
#include "harness/grpc_util.h"
#include "harness/kv_dump.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
constexpr std::chrono::milliseconds kRpcTimeout{5000};

std::string Etcdutl() {
  return (std::filesystem::path(BinaryUnderTest()).parent_path() / "etcdutl").string();
}

std::string DbFile(const ServerProcess& m) { return m.data_dir() + "/member/snap/db"; }

class EtcdutlProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = WhyNotRunnable(FlavorByName("etcdpp"));
    if (!why.empty()) GTEST_SKIP() << why;
    ASSERT_NO_FATAL_FAILURE(StartMember({}));
  }

  void StartMember(std::vector<std::string> flags) {
    member_.reset();
    MemberConfig cfg;
    cfg.extra_flags = std::move(flags);
    auto m = ServerProcess::Start(BinaryUnderTest(), cfg);
    ASSERT_TRUE(m.ok()) << m.status();
    member_ = *std::move(m);
    kv_ = pb::KV::NewStub(NewChannel(member_->Endpoint()));
  }

  // Backs the stopped member up, starts etcdpp on the backup with --force-new-cluster and
  // checks that it serves `want`, as the only member.
  void BackupAndStart(const Dump& want) {
    MemberConfig cfg;
    cfg.extra_flags = {"--force-new-cluster"};
    auto restored = ServerProcess::Create(BinaryUnderTest(), cfg);
    ASSERT_TRUE(restored.ok()) << restored.status();
    std::filesystem::remove_all((*restored)->data_dir());
    int rc = 0;
    const std::string out =
        RunCommand(absl::StrCat(Etcdutl(), " backup --data-dir ", member_->data_dir(),
                                " --backup-dir ", (*restored)->data_dir()),
                   &rc);
    ASSERT_EQ(rc, 0) << out;
    ASSERT_TRUE((*restored)->Launch().ok());
    absl::Status ready = (*restored)->WaitReady(absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready << (*restored)->LogTail();
    auto got = DumpMember((*restored)->Endpoint());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, want);
    auto cluster = pb::Cluster::NewStub(NewChannel((*restored)->Endpoint()));
    pb::MemberListResponse list;
    grpc::Status st =
        cluster->MemberList(ContextWithDeadline(kRpcTimeout).get(), pb::MemberListRequest{}, &list);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    ASSERT_EQ(list.members_size(), 1);
    EXPECT_EQ(list.members(0).id(), list.header().member_id());
    EXPECT_EQ(list.members(0).peerurls(0), "http://use-flag--force-new-cluster:2080");
    kv_ = pb::KV::NewStub(NewChannel((*restored)->Endpoint()));
    ASSERT_NO_FATAL_FAILURE(Put("after-backup", "1"));  // and takes writes
  }

  // One KV call; a failed one fails the test.
  template <typename Resp, typename Req, typename Method>
  Resp Call(Method method, const Req& req) {
    Resp resp;
    grpc::Status st = ((*kv_).*method)(ContextWithDeadline(kRpcTimeout).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << StatusString(st);
    return resp;
  }

  void Put(const std::string& key, const std::string& value) {
    pb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    last_rev_ = Call<pb::PutResponse>(&pb::KV::Stub::Put, req).header().revision();
    ASSERT_FALSE(HasFailure());
  }

  void Delete(const std::string& key) {
    pb::DeleteRangeRequest req;
    req.set_key(key);
    last_rev_ = Call<pb::DeleteRangeResponse>(&pb::KV::Stub::DeleteRange, req).header().revision();
    ASSERT_FALSE(HasFailure());
  }

  void Compact() {
    pb::CompactionRequest req;
    req.set_revision(last_rev_);
    req.set_physical(true);
    Call<pb::CompactionResponse>(&pb::KV::Stub::Compact, req);
    ASSERT_FALSE(HasFailure());
  }

  // 400 keys of 8 KiB, overwritten small; every third deleted; compacted. Most of the file is
  // free pages then.
  void WriteAndFree() {
    const std::string big(8192, 'x');
    for (int i = 0; i < 400; ++i) ASSERT_NO_FATAL_FAILURE(Put(absl::StrCat("key", i), big));
    for (int i = 0; i < 400; ++i) {
      ASSERT_NO_FATAL_FAILURE(Put(absl::StrCat("key", i), absl::StrCat("v", i)));
    }
    for (int i = 0; i < 400; i += 3) ASSERT_NO_FATAL_FAILURE(Delete(absl::StrCat("key", i)));
    ASSERT_NO_FATAL_FAILURE(Compact());
  }

  std::unique_ptr<ServerProcess> member_;
  std::unique_ptr<pb::KV::Stub> kv_;
  int64_t last_rev_ = 0;
};

TEST_F(EtcdutlProcessTest, DefragShrinksAStoppedMembersDbAndKeepsEveryKey) {
  ASSERT_NO_FATAL_FAILURE(WriteAndFree());
  auto before = DumpMember(member_->Endpoint());
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 400u - 134u);
  ASSERT_TRUE(member_->Stop().ok());
  const auto size_before = std::filesystem::file_size(DbFile(*member_));

  int rc = 0;
  const std::string out =
      RunCommand(absl::StrCat(Etcdutl(), " defrag --data-dir ", member_->data_dir()), &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("finished defragmenting directory"), std::string::npos) << out;
  const auto size_after = std::filesystem::file_size(DbFile(*member_));
  EXPECT_LT(size_after * 2, size_before) << size_before << " -> " << size_after;
  EXPECT_FALSE(std::filesystem::exists(DbFile(*member_) + ".defrag"));

  ASSERT_TRUE(member_->Restart().ok()) << member_->LogTail();
  auto after = DumpMember(member_->Endpoint());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, *before);
  kv_ = pb::KV::NewStub(NewChannel(member_->Endpoint()));
  ASSERT_NO_FATAL_FAILURE(Put("after-defrag", "1"));  // and takes writes
}

TEST_F(EtcdutlProcessTest, DefragRefusesTheDataDirOfARunningMember) {
  ASSERT_NO_FATAL_FAILURE(WriteAndFree());
  const auto size_before = std::filesystem::file_size(DbFile(*member_));
  int rc = 0;
  const std::string out =
      RunCommand(absl::StrCat(Etcdutl(), " defrag --data-dir=", member_->data_dir()), &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_EQ(out.rfind(absl::StrCat("Error: Failed to defragment etcd data[", member_->data_dir(),
                                   "] (etcd holds a lock on \""),
                      0),
            0u)
      << out;
  EXPECT_EQ(std::filesystem::file_size(DbFile(*member_)), size_before);
  ASSERT_NO_FATAL_FAILURE(Put("still-serving", "1"));
}

TEST_F(EtcdutlProcessTest, DefragErrorsAsEtcdutl) {
  int rc = 0;
  std::string out = RunCommand(Etcdutl() + " defrag", &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_EQ(out.rfind("Error: required flag(s) \"data-dir\" not set\nUsage:\n", 0), 0u) << out;
  const std::string missing = member_->temp_dir() + "/nothing";
  out = RunCommand(absl::StrCat(Etcdutl(), " defrag --data-dir ", missing), &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_EQ(out, absl::StrCat("Error: Failed to defragment etcd data[", missing, "] (stat ",
                              missing, "/member/snap/db: no such file or directory)\n"));
}

TEST_F(EtcdutlProcessTest, BackupStartsANewClusterWithEveryKey) {
  ASSERT_NO_FATAL_FAILURE(WriteAndFree());
  auto before = DumpMember(member_->Endpoint());
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(member_->Stop().ok());
  ASSERT_NO_FATAL_FAILURE(BackupAndStart(*before));
}

TEST_F(EtcdutlProcessTest, BackupOfAMemberWithRaftSnapshots) {
  ASSERT_NO_FATAL_FAILURE(StartMember({"--snapshot-count", "50"}));
  for (int i = 0; i < 170; ++i) ASSERT_NO_FATAL_FAILURE(Put(absl::StrCat("k", i), "v"));
  auto before = DumpMember(member_->Endpoint());
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(member_->Stop().ok());
  bool has_snap = false;
  for (const auto& f : std::filesystem::directory_iterator(member_->data_dir() + "/member/snap")) {
    has_snap = has_snap || f.path().extension() == ".snap";
  }
  ASSERT_TRUE(has_snap);
  ASSERT_NO_FATAL_FAILURE(BackupAndStart(*before));
}

TEST_F(EtcdutlProcessTest, BackupRefusesARunningMember) {
  ASSERT_NO_FATAL_FAILURE(Put("k", "v"));
  const std::string dest = member_->temp_dir() + "/backup";
  int rc = 0;
  const std::string out = RunCommand(
      absl::StrCat(Etcdutl(), " backup --data-dir ", member_->data_dir(), " --backup-dir ", dest),
      &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_EQ(out.rfind("Error: etcd holds a lock on \"", 0), 0u) << out;
  EXPECT_FALSE(std::filesystem::exists(dest));
  const std::string missing = RunCommand(Etcdutl() + " backup --data-dir x", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(missing.rfind("Error: required flag(s) \"backup-dir\" not set\nUsage:\n", 0), 0u)
      << missing;
}

// snapshot restore --wal-dir: the WAL goes to its own directory, and a member started with the
// same --data-dir and --wal-dir serves the snapshot's keys (an operator's WAL on another disk).
TEST_F(EtcdutlProcessTest, RestoreWithADedicatedWalDir) {
  for (int i = 0; i < 20; ++i) ASSERT_NO_FATAL_FAILURE(Put(absl::StrCat("k", i), "v"));
  auto before = DumpMember(member_->Endpoint());
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string snap = member_->temp_dir() + "/snap.db";
  int rc = 0;
  std::string out = RunCommand(absl::StrCat("ETCDCTL_API=3 /usr/bin/etcdctl --endpoints ",
                                            member_->Endpoint(), " snapshot save ", snap, " 2>&1"),
                               &rc);
  ASSERT_EQ(rc, 0) << out;

  // The "other disk": a directory of the test's own, outside the member's temp dir.
  char scratch[] = "/tmp/etcdutl-wal-dir.XXXXXX";
  ASSERT_NE(mkdtemp(scratch), nullptr);
  struct RemoveScratch {
    std::string path;
    ~RemoveScratch() { std::filesystem::remove_all(path); }
  } remove_scratch{scratch};
  const std::string wal_dir = std::string(scratch) + "/wal";
  MemberConfig cfg;
  cfg.extra_flags = {"--wal-dir=" + wal_dir};
  auto restored = ServerProcess::Create(BinaryUnderTest(), cfg);
  ASSERT_TRUE(restored.ok()) << restored.status();
  std::filesystem::remove_all((*restored)->data_dir());
  const std::string restore =
      absl::StrCat(Etcdutl(), " snapshot restore ", snap, " --data-dir ", (*restored)->data_dir(),
                   " --wal-dir ", wal_dir, " --name ", (*restored)->config().name,
                   " --initial-cluster ", (*restored)->config().name, "=", (*restored)->PeerUrl(),
                   " --initial-advertise-peer-urls ", (*restored)->PeerUrl(), " 2>&1");
  out = RunCommand(restore, &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(absl::StrCat("\"wal-dir\":\"", wal_dir, "\"")), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists((*restored)->data_dir() + "/member/wal"));
  bool has_wal = false;
  for (const auto& f : std::filesystem::directory_iterator(wal_dir)) {
    has_wal = has_wal || f.path().extension() == ".wal";
  }
  EXPECT_TRUE(has_wal);
  // A second restore onto the same --wal-dir is refused, as a data dir that exists is.
  std::filesystem::remove_all((*restored)->data_dir());
  out = RunCommand(restore, &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find(absl::StrCat("wal-dir \"", wal_dir, "\" exists")), std::string::npos) << out;
  std::filesystem::remove_all((*restored)->data_dir());
  std::filesystem::remove_all(wal_dir);
  out = RunCommand(restore, &rc);
  ASSERT_EQ(rc, 0) << out;

  member_.reset();  // only the restored member runs now
  ASSERT_TRUE((*restored)->Launch().ok());
  absl::Status ready = (*restored)->WaitReady(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready << (*restored)->LogTail();
  auto got = DumpMember((*restored)->Endpoint());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, *before);
}

constexpr char kRootUsage[] =
    "Usage:\n"
    "  etcdutl [command]\n"
    "\n"
    "Available Commands:\n"
    "  backup      [legacy] offline backup of etcd directory\n"
    "  defrag      Defragments the storage of the etcd\n"
    "  help        Help about any command\n"
    "  snapshot    Manages etcd node snapshots\n"
    "  version     Prints the version of etcdutl\n"
    "\n"
    "Flags:\n"
    "  -h, --help               help for etcdutl\n"
    "  -w, --write-out string   set the output format (fields, json, protobuf, simple, table) "
    "(default \"simple\")\n"
    "\n"
    "Use \"etcdutl [command] --help\" for more information about a command.\n";

TEST(EtcdutlCliTest, HelpAndUsageInCobrasShape) {
  int rc = 0;
  for (const char* args : {"", " --help", " help", " -h"}) {
    EXPECT_EQ(RunCommand(Etcdutl() + args, &rc), kRootUsage) << args;
    EXPECT_EQ(rc, 0);
  }
  EXPECT_EQ(RunCommand(Etcdutl() + " backup --help", &rc),
            "Usage:\n"
            "  etcdutl backup [flags]\n"
            "\n"
            "Flags:\n"
            "      --backup-dir string       Path to the backup dir\n"
            "      --backup-wal-dir string   Path to the backup wal dir\n"
            "      --data-dir string         Path to the etcd data dir\n"
            "  -h, --help                    help for backup\n"
            "      --wal-dir string          Path to the etcd wal dir\n"
            "      --with-v3                 Backup v3 backend data (default true)\n"
            "\n"
            "Global Flags:\n"
            "  -w, --write-out string   set the output format (fields, json, protobuf, simple, "
            "table) (default \"simple\")\n");
  const std::string snap = RunCommand(Etcdutl() + " snap", &rc);  // a unique prefix
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(snap.rfind("Usage:\n  etcdutl snapshot [command]\n\nAvailable Commands:\n"
                       "  restore     Restores an etcd member snapshot to an etcd directory\n"
                       "  status      Gets backend snapshot status of a given file\n\nFlags:\n",
                       0),
            0u)
      << snap;
  EXPECT_EQ(RunCommand(Etcdutl() + " help defrag", &rc), RunCommand(Etcdutl() + " defrag -h", &rc));
}

TEST(EtcdutlCliTest, VersionAndErrors) {
  int rc = 0;
  const std::string v = RunCommand(Etcdutl() + " version", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(v.rfind("etcdutl version: ", 0), 0u) << v;
  EXPECT_NE(v.find("\nAPI version: "), std::string::npos) << v;
  EXPECT_EQ(std::count(v.begin(), v.end(), '\n'), 2) << v;
  EXPECT_EQ(
      RunCommand(Etcdutl() + " defarg", &rc),
      "Error: unknown command \"defarg\" for \"etcdutl\"\n\nDid you mean this?\n\tdefrag\n\n"
      "Run 'etcdutl --help' for usage.\n"
      "Error: unknown command \"defarg\" for \"etcdutl\"\n\nDid you mean this?\n\tdefrag\n\n");
  EXPECT_EQ(rc, 1);
  const std::string bad = RunCommand(Etcdutl() + " defrag --nope", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(bad.rfind("Error: unknown flag: --nope\nUsage:\n  etcdutl defrag [flags]\n", 0), 0u)
      << bad;
  EXPECT_EQ(bad.substr(bad.size() - 29), "\nError: unknown flag: --nope\n") << bad;
  EXPECT_EQ(RunCommand(Etcdutl() + " snapshot status", &rc),
            "Error: snapshot status requires exactly one argument\n");
  EXPECT_EQ(rc, 128);
  EXPECT_EQ(RunCommand(Etcdutl() + " snapshot save x", &rc),
            "Command \"save\" is deprecated, Use `etcdctl snapshot save` to download snapshot\n"
            "Error: In order to download snapshot use: `etcdctl snapshot save ...`\n");
  EXPECT_EQ(rc, 128);
}

}  // namespace
}  // namespace etcdpp::testing
