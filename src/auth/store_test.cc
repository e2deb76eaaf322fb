#include "auth/store.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "auth/bcrypt.h"
#include "auth/errors.h"
#include "gtest/gtest.h"

namespace etcdpp::auth {
namespace {

const std::string kZero("\0", 1);

class AuthStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("auth_store_test_", getpid(), "_", info->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    be_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    be_.reset();
    backend::Options bo;
    bo.dir = dir_.string();
    bo.background_commits = false;
    auto be = backend::Backend::Open(bo);
    ASSERT_TRUE(be.ok()) << be.status();
    be_ = std::move(*be);
    auto s = AuthStore::Open(be_.get(), absl::Seconds(300));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  // Runs one change in its own batch, as the applier does.
  template <typename F>
  absl::Status Do(F f) {
    backend::BatchTx tx(be_.get());
    return f(&tx);
  }
  void AddUser(const std::string& name, const std::string& pw = "pw") {
    absl::StatusOr<std::string> h = BcryptHash(pw, kMinBcryptCost);
    ASSERT_TRUE(h.ok());
    ASSERT_TRUE(Do([&](auto* tx) { return store_->UserAdd(name, *h, {}, tx); }).ok());
  }
  void EnableWithRoot() {
    AddUser("root");
    ASSERT_TRUE(Do([&](auto* tx) { return store_->UserGrantRole("root", "root", tx); }).ok());
    ASSERT_TRUE(Do([&](auto* tx) { return store_->Enable(tx); }).ok());
  }
  AuthInfo As(const std::string& user) { return AuthInfo{user, store_->revision()}; }

  std::filesystem::path dir_;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<AuthStore> store_;
};

TEST_F(AuthStoreTest, EnableNeedsRootUserWithRootRole) {
  EXPECT_EQ(Do([&](auto* tx) { return store_->Enable(tx); }).message(),
            ErrRootUserNotExist().message());
  AddUser("root");
  EXPECT_EQ(Do([&](auto* tx) { return store_->Enable(tx); }).message(),
            ErrRootRoleNotExist().message());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserGrantRole("root", "root", tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->Enable(tx); }).ok());
  EXPECT_TRUE(store_->enabled());
}

TEST_F(AuthStoreTest, RevisionCountsChangesAsEtcd) {
  EXPECT_EQ(store_->revision(), 1u);  // a new store starts at 1, as etcd's
  AddUser("root");                    // 2
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserGrantRole("root", "root", tx); }).ok());  // 3
  ASSERT_TRUE(
      Do([&](auto* tx) { return store_->UserGrantRole("root", "root", tx); }).ok());  // held
  ASSERT_TRUE(Do([&](auto* tx) { return store_->Enable(tx); }).ok());                 // no bump
  EXPECT_EQ(store_->revision(), 3u);
  EXPECT_FALSE(Do([&](auto* tx) { return store_->RoleDelete("nope", tx); }).ok());  // no bump
  ASSERT_TRUE(Do([&](auto* tx) { return store_->Disable(tx); }).ok());              // 4
  EXPECT_EQ(store_->revision(), 4u);
}

TEST_F(AuthStoreTest, RootIsProtectedWhileEnabled) {
  EnableWithRoot();
  EXPECT_EQ(Do([&](auto* tx) { return store_->UserDelete("root", tx); }).message(),
            ErrInvalidAuthMgmt().message());
  EXPECT_EQ(Do([&](auto* tx) { return store_->UserRevokeRole("root", "root", tx); }).message(),
            ErrInvalidAuthMgmt().message());
  EXPECT_EQ(Do([&](auto* tx) { return store_->RoleDelete("root", tx); }).message(),
            ErrInvalidAuthMgmt().message());
}

TEST_F(AuthStoreTest, ErrorsAsEtcd) {
  EXPECT_EQ(Do([&](auto* tx) { return store_->UserAdd("", "", {}, tx); }).message(),
            "user name is empty");
  AddUser("u");
  EXPECT_EQ(Do([&](auto* tx) { return store_->UserAdd("u", "", {}, tx); }).message(),
            "user name already exists");
  EXPECT_EQ(Do([&](auto* tx) { return store_->UserDelete("x", tx); }).message(),
            "user name not found");
  EXPECT_EQ(Do([&](auto* tx) { return store_->RoleAdd("", tx); }).message(), "role name is empty");
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleAdd("r", tx); }).ok());
  EXPECT_EQ(Do([&](auto* tx) { return store_->RoleAdd("r", tx); }).message(),
            "role name already exists");
  EXPECT_EQ(Do([&](auto* tx) { return store_->UserGrantRole("u", "x", tx); }).message(),
            "role name not found");
  EXPECT_EQ(Do([&](auto* tx) { return store_->UserRevokeRole("u", "r", tx); }).message(),
            "role is not granted to the user");
  EXPECT_EQ(Do([&](auto* tx) { return store_->RoleRevokePermission("r", "k", "", tx); }).message(),
            "permission is not granted to the role");
}

TEST_F(AuthStoreTest, PermissionChecks) {
  EnableWithRoot();
  AddUser("alice");
  authpb::Permission p;
  p.set_permtype(authpb::Permission::READWRITE);
  p.set_key("foo");
  p.set_range_end("fop");
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleAdd("r", tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleGrantPermission("r", p, tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserGrantRole("alice", "r", tx); }).ok());

  EXPECT_TRUE(store_->CheckWrite(As("alice"), "foo1", "").ok());
  EXPECT_TRUE(store_->CheckRead(As("alice"), "foo", "fop").ok());
  EXPECT_EQ(store_->CheckWrite(As("alice"), "bar", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store_->CheckWrite(As("root"), "bar", "").ok());
  EXPECT_EQ(store_->CheckRead(AuthInfo{}, "foo", "").message(), "user name is empty");
  EXPECT_EQ(store_->CheckRead(As("nobody"), "foo", "").code(), absl::StatusCode::kPermissionDenied);
  // A check at an older revision than the store's.
  AuthInfo old = As("alice");
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleAdd("r2", tx); }).ok());
  EXPECT_TRUE(IsAuthOldRevision(store_->CheckRead(old, "foo", "")));
  // Admin.
  EXPECT_TRUE(store_->CheckAdmin(As("root")).ok());
  EXPECT_EQ(store_->CheckAdmin(As("alice")).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->CheckAdmin(AuthInfo{}).message(), "user name is empty");
  // Revoking the permission takes effect at once.
  ASSERT_TRUE(
      Do([&](auto* tx) { return store_->RoleRevokePermission("r", "foo", "fop", tx); }).ok());
  EXPECT_EQ(store_->CheckRead(As("alice"), "foo", "").code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthStoreTest, TxnChecksEveryCompareAndOpIncludingNested) {
  EnableWithRoot();
  AddUser("alice");
  authpb::Permission p;
  p.set_permtype(authpb::Permission::READWRITE);
  p.set_key("a");
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleAdd("r", tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleGrantPermission("r", p, tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserGrantRole("alice", "r", tx); }).ok());
  etcdserverpb::TxnRequest t;
  t.add_compare()->set_key("a");
  t.add_success()->mutable_request_put()->set_key("a");
  EXPECT_TRUE(store_->CheckTxn(As("alice"), t).ok());
  auto* nested = t.add_failure()->mutable_request_txn();
  nested->add_success()->mutable_request_delete_range()->set_key("b");
  EXPECT_EQ(store_->CheckTxn(As("alice"), t).code(), absl::StatusCode::kPermissionDenied);
  t.clear_failure();
  t.add_compare()->set_key("c");
  EXPECT_EQ(store_->CheckTxn(As("alice"), t).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthStoreTest, PasswordsAndNoPasswordUsers) {
  EnableWithRoot();
  AddUser("alice", "secret");
  EXPECT_TRUE(store_->CheckPassword("alice", "secret").ok());
  EXPECT_EQ(store_->CheckPassword("alice", "wrong").status().message(),
            "authentication failed, invalid user ID or password");
  EXPECT_FALSE(store_->CheckPassword("bob", "secret").ok());
  authpb::UserAddOptions o;
  o.set_no_password(true);
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserAdd("cn-user", "", o, tx); }).ok());
  EXPECT_FALSE(store_->CheckPassword("cn-user", "").ok());
}

TEST_F(AuthStoreTest, SurvivesReopenWithEtcdEncodings) {
  EnableWithRoot();
  AddUser("alice");
  authpb::Permission p;
  p.set_permtype(authpb::Permission::READ);
  p.set_key("k");
  p.set_range_end(kZero);
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleAdd("r", tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleGrantPermission("r", p, tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserGrantRole("alice", "r", tx); }).ok());
  uint64_t rev = store_->revision();
  ASSERT_TRUE(be_->ForceCommit().ok());
  EXPECT_EQ(*be_->Get(backend::Bucket::kAuth, "authEnabled"), std::string("\1", 1));
  EXPECT_EQ(be_->Get(backend::Bucket::kAuth, "authRevision")->size(), 8u);
  Reopen();
  EXPECT_TRUE(store_->enabled());
  EXPECT_EQ(store_->revision(), rev);
  EXPECT_TRUE(store_->CheckRead(As("alice"), "zz", "").ok());
  EXPECT_FALSE(store_->CheckWrite(As("alice"), "zz", "").ok());
  EXPECT_TRUE(store_->CheckPassword("alice", "pw").ok());
}

TEST_F(AuthStoreTest, DeletingARoleRemovesItFromUsers) {
  AddUser("alice");
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleAdd("r", tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserGrantRole("alice", "r", tx); }).ok());
  ASSERT_TRUE(Do([&](auto* tx) { return store_->RoleDelete("r", tx); }).ok());
  EXPECT_EQ(store_->state()->user("alice")->roles_size(), 0);
}

TEST_F(AuthStoreTest, DeleteAndPasswordChangeDropTheUsersSimpleTokens) {
  EnableWithRoot();
  AddUser("alice");
  absl::Time now = absl::Now();
  store_->simple_tokens().Assign("x.1", "alice", now);
  ASSERT_TRUE(Do([&](auto* tx) { return store_->UserChangePassword("alice", "h", tx); }).ok());
  EXPECT_FALSE(store_->simple_tokens().Lookup("x.1", now).has_value());
  store_->simple_tokens().Assign("x.2", "root", now);
  ASSERT_TRUE(Do([&](auto* tx) { return store_->Disable(tx); }).ok());
  EXPECT_FALSE(store_->simple_tokens().Lookup("x.2", now).has_value());
}

}  // namespace
}  // namespace etcdpp::auth
