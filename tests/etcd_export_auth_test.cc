// etcd_export_auth_test: users, roles and permissions written by our auth store (src/auth) travel
// through the export (server/etcdfmt) into a snapshot that stock `etcdctl snapshot restore` turns
// into a data dir, and the reference etcd 3.4 started there enforces them: root's password, a
// read-only role, auth enabled. Skipped where etcdctl or etcd are not installed.

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "auth/bcrypt.h"
#include "auth/store.h"
#include "backend/backend.h"
#include "backend/bbolt/sink.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/command.h"
#include "harness/etcdctl.h"
#include "harness/server_process.h"
#include "server/etcdfmt/etcd_export.h"

namespace etcdpp::testing {
namespace {

constexpr const char* kEtcdctl = kStockEtcdctl;

// Exports `be` to `path` as `etcdctl snapshot save` would have saved it (file + SHA-256).
void ExportTo(backend::Backend* be, const std::string& path) {
  ASSERT_TRUE(be->ForceCommit().ok());
  auto snap = be->OpenReadSnapshot();
  ASSERT_TRUE(snap.ok()) << snap.status();
  backend::bbolt::StringSink sink;
  auto res = server::etcdfmt::ExportEtcdBackend(**snap, &sink);
  ASSERT_TRUE(res.ok()) << res.status();
  backend::bbolt::Sha256 sha;
  sha.Update(sink.data());
  const auto digest = sha.Finish();
  std::ofstream out(path, std::ios::binary);
  out << sink.data() << std::string(reinterpret_cast<const char*>(digest.data()), 32);
}

TEST(EtcdExportAuthTest, RestoredEtcdEnforcesOurUsersRolesAndPermissions) {
  std::string why = WhyNotRunnable(FlavorByName("etcd"));
  if (why.empty() && access(kEtcdctl, X_OK) != 0) why = "no /usr/bin/etcdctl";
  if (!why.empty()) GTEST_SKIP() << why;

  MemberConfig cfg;
  cfg.name = "restored";
  auto etcd = ServerProcess::Create(ReferenceBinary(), cfg);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dir = (*etcd)->temp_dir();

  backend::Options o;
  o.dir = dir + "/ours";
  o.background_commits = false;
  o.map_size = size_t{1} << 30;
  auto be = backend::Backend::Open(o);
  ASSERT_TRUE(be.ok()) << be.status();
  auto store = auth::AuthStore::Open(be->get(), absl::Minutes(5));
  ASSERT_TRUE(store.ok()) << store.status();
  auto root_hash = auth::BcryptHash("rootpw", auth::kMinBcryptCost);
  auto alice_hash = auth::BcryptHash("alicepw", auth::kMinBcryptCost);
  ASSERT_TRUE(root_hash.ok() && alice_hash.ok());
  {
    backend::BatchTx tx(be->get());
    ASSERT_TRUE((*store)->RoleAdd("root", &tx).ok());
    ASSERT_TRUE((*store)->UserAdd("root", *root_hash, authpb::UserAddOptions(), &tx).ok());
    ASSERT_TRUE((*store)->UserGrantRole("root", "root", &tx).ok());
    ASSERT_TRUE((*store)->RoleAdd("reader", &tx).ok());
    authpb::Permission read;
    read.set_permtype(authpb::Permission::READ);
    read.set_key("foo");
    ASSERT_TRUE((*store)->RoleGrantPermission("reader", read, &tx).ok());
    ASSERT_TRUE((*store)->UserAdd("alice", *alice_hash, authpb::UserAddOptions(), &tx).ok());
    ASSERT_TRUE((*store)->UserGrantRole("alice", "reader", &tx).ok());
    ASSERT_TRUE((*store)->Enable(&tx).ok());
    tx.End();
  }
  const std::string snap = dir + "/snap.db";
  ExportTo(be->get(), snap);
  if (HasFailure()) return;

  int rc = 0;
  std::string out = RestoreSnapshotInto(snap, **etcd, &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE((*etcd)->Launch().ok());
  absl::Status ready = (*etcd)->WaitReady(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready << (*etcd)->LogTail();

  const std::string ctl =
      absl::StrCat("ETCDCTL_API=3 ", kEtcdctl, " --endpoints ", (*etcd)->Endpoint(), " ");
  out = RunCommand(ctl + "--user root:rootpw user list", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "alice\nroot\n");
  out = RunCommand(ctl + "--user root:rootpw role get reader", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Read:\n\tfoo"), std::string::npos) << out;
  out = RunCommand(ctl + "--user root:wrong user list", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("authentication failed"), std::string::npos) << out;
  out = RunCommand(ctl + "--user alice:alicepw get foo", &rc);
  EXPECT_EQ(rc, 0) << out;
  out = RunCommand(ctl + "--user alice:alicepw put foo bar", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("permission denied"), std::string::npos) << out;
  out = RunCommand(ctl + "get foo", &rc);
  EXPECT_NE(rc, 0) << "auth is enabled";
  EXPECT_NE(out.find("user name is empty"), std::string::npos) << out;
  ASSERT_TRUE((*etcd)->Stop().ok());
}

}  // namespace
}  // namespace etcdpp::testing
