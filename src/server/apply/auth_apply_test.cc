// The auth half of the applier chain against a real backend, mvcc store and auth store:
// AuthApplier applies auth changes with etcd's rules, AuthCheckApplier judges each request with
// the identity stamped in its entry, and the member's own (system) requests pass unjudged.
#include "server/apply/auth_apply.h"

#include "absl/strings/str_cat.h"
#include "auth/errors.h"
#include "backend/backend.h"
#include "gtest/gtest.h"
#include "server/apply/kv_apply.h"
#include "server/apply/test_backend.h"

namespace etcdpp::server {
namespace {

class AuthApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("auth_apply_test");
    absl::StatusOr<TestKv> opened = OpenTestKv(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    be_ = std::move(opened->be);
    kv_ = std::move(opened->kv);
    auto store = auth::AuthStore::Open(be_.get(), absl::Seconds(300));
    ASSERT_TRUE(store.ok());
    auth_ = *std::move(store);
    kv_applier_ = std::make_unique<KvApplier>(kv_.get());
    auth_applier_ = std::make_unique<AuthApplier>(kv_.get(), auth_.get());
    backend_ = std::make_unique<BackendApplier>(kv_applier_.get(), nullptr, auth_applier_.get(),
                                                nullptr, nullptr);
    top_ = std::make_unique<AuthCheckApplier>(backend_.get(), auth_.get(), nullptr);
  }
  void TearDown() override {
    top_.reset();
    backend_.reset();
    auth_applier_.reset();
    kv_applier_.reset();
    auth_.reset();
    kv_.reset();
    be_.reset();
    EXPECT_TRUE(Env::Default()->RemoveAll(dir_).ok());
  }

  // Applies `r` as `user` (empty: anonymous) at the next index.
  ApplyResult As(const std::string& user, internalpb::InternalRequest r) {
    if (!user.empty()) {
      r.mutable_auth_header()->set_username(user);
      r.mutable_auth_header()->set_auth_revision(auth_->revision());
    }
    return ApplyRequest(top_.get(), r, ++index_);
  }
  static internalpb::InternalRequest Put(const std::string& key) {
    internalpb::InternalRequest r;
    r.mutable_put()->set_key(key);
    r.mutable_put()->set_value("v");
    return r;
  }
  template <typename F>
  static internalpb::InternalRequest Auth(F fill) {
    internalpb::InternalRequest r;
    fill(r.mutable_auth());
    return r;
  }
  void EnableWithAlice() {
    ASSERT_TRUE(As("", Auth([](auto* a) { a->mutable_user_add()->set_name("root"); })).status.ok());
    ASSERT_TRUE(As("", Auth([](auto* a) {
                     a->mutable_user_grant_role()->set_user("root");
                     a->mutable_user_grant_role()->set_role("root");
                   }))
                    .status.ok());
    ASSERT_TRUE(
        As("", Auth([](auto* a) { a->mutable_user_add()->set_name("alice"); })).status.ok());
    ASSERT_TRUE(As("", Auth([](auto* a) { a->mutable_role_add()->set_name("r"); })).status.ok());
    ASSERT_TRUE(As("", Auth([](auto* a) {
                     auto* g = a->mutable_role_grant_permission();
                     g->set_name("r");
                     g->mutable_perm()->set_permtype(authpb::Permission::READWRITE);
                     g->mutable_perm()->set_key("a");
                     g->mutable_perm()->set_range_end("b");
                   }))
                    .status.ok());
    ASSERT_TRUE(As("", Auth([](auto* a) {
                     a->mutable_user_grant_role()->set_user("alice");
                     a->mutable_user_grant_role()->set_role("r");
                   }))
                    .status.ok());
    ASSERT_TRUE(As("", Auth([](auto* a) { a->mutable_enable(); })).status.ok());
  }

  std::string dir_;
  uint64_t index_ = 0;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<mvcc::KvStore> kv_;
  std::unique_ptr<auth::AuthStore> auth_;
  std::unique_ptr<KvApplier> kv_applier_;
  std::unique_ptr<AuthApplier> auth_applier_;
  std::unique_ptr<BackendApplier> backend_;
  std::unique_ptr<AuthCheckApplier> top_;
};

TEST_F(AuthApplyTest, WritesAreJudgedWithTheEntrysIdentity) {
  EnableWithAlice();
  EXPECT_TRUE(As("alice", Put("a1")).status.ok());
  const int64_t rev = kv_->Rev();
  ApplyResult denied = As("alice", Put("c1"));
  EXPECT_EQ(denied.status.code(), absl::StatusCode::kPermissionDenied) << denied.status;
  EXPECT_EQ(kv_->Rev(), rev);  // nothing written
  EXPECT_EQ(As("", Put("a2")).status.message(), "user name is empty");
  EXPECT_TRUE(As("root", Put("c1")).status.ok());
  // A token checked at an older auth revision than the store's.
  internalpb::InternalRequest stale = Put("a3");
  stale.mutable_auth_header()->set_username("alice");
  stale.mutable_auth_header()->set_auth_revision(auth_->revision() - 1);
  EXPECT_TRUE(auth::IsAuthOldRevision(ApplyRequest(top_.get(), stale, ++index_).status));
  // The member's own requests (lease expiry) are not judged.
  internalpb::InternalRequest system = Put("zz");
  system.mutable_auth_header()->set_system(true);
  EXPECT_TRUE(ApplyRequest(top_.get(), system, ++index_).status.ok());
}

TEST_F(AuthApplyTest, AuthChangesNeedRootOnceEnabled) {
  EnableWithAlice();
  auto add_role = Auth([](auto* a) { a->mutable_role_add()->set_name("x"); });
  EXPECT_EQ(As("alice", add_role).status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(As("", add_role).status.message(), "user name is empty");
  ApplyResult ok = As("root", add_role);
  ASSERT_TRUE(ok.status.ok()) << ok.status;
  EXPECT_NE(ResponseAs<etcdserverpb::AuthRoleAddResponse>(ok), nullptr);
  EXPECT_EQ(As("root", Auth([](auto* a) { a->mutable_user_delete()->set_name("root"); }))
                .status.message(),
            "invalid auth management");
}

TEST_F(AuthApplyTest, LoginRegistersASimpleTokenNamedByItsIndex) {
  EnableWithAlice();
  auto login = Auth([&](auto* a) {
    a->mutable_authenticate()->set_name("alice");
    a->mutable_authenticate()->set_simple_token_prefix("abcdefghijklmnop");
    a->mutable_authenticate()->set_checked_revision(auth_->revision());
  });
  ApplyResult r = As("", login);
  ASSERT_TRUE(r.status.ok()) << r.status;
  auto* resp = ResponseAs<etcdserverpb::AuthenticateResponse>(r);
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(resp->token(), absl::StrCat("abcdefghijklmnop.", index_));
  EXPECT_EQ(auth_->simple_tokens().Lookup(resp->token(), absl::Now()), "alice");
  // Checked at an older revision: the proposer must check the password again.
  login.mutable_auth()->mutable_authenticate()->set_checked_revision(auth_->revision() - 1);
  EXPECT_TRUE(auth::IsAuthOldRevision(As("", login).status));
}

}  // namespace
}  // namespace etcdpp::server
