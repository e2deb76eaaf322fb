// The v2 applier against a real backend and mvcc store: etcd's choice of store operation for
// each request, answers as etcd's HTTP layer writes them (keys and causes without /1), SYNC
// expiry at the leader's time, and the store's state staged with the entry's consistent index
// so that it survives a reopen.
#include "server/apply/v2_apply.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backend/backend.h"
#include "gtest/gtest.h"
#include "server/apply/kv_apply.h"

namespace etcdpp::server {
namespace {

class V2ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    absl::StrCat("v2_apply_test_", ::getpid(), "_",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(Env::Default()->RemoveAll(dir_).ok());
    Open();
  }
  void Open() {
    backend::Options o;
    o.dir = dir_;
    o.background_commits = false;
    auto be = backend::Backend::Open(o);
    ASSERT_TRUE(be.ok()) << be.status();
    be_ = *std::move(be);
    auto kv = mvcc::KvStore::Open(be_.get());
    ASSERT_TRUE(kv.ok());
    kv_ = *std::move(kv);
    v2_ = std::make_unique<V2Store>(be_.get());
    ASSERT_TRUE(v2_->Load().ok());
    kv_applier_ = std::make_unique<KvApplier>(kv_.get());
    chain_ = std::make_unique<BackendApplier>(kv_applier_.get(), nullptr, nullptr, nullptr, nullptr,
                                              kv_.get(), v2_.get());
  }
  void Close() {
    ASSERT_TRUE(be_->ForceCommit().ok());
    chain_.reset();
    kv_applier_.reset();
    v2_.reset();
    kv_.reset();
    be_.reset();
  }
  void TearDown() override {
    Close();
    EXPECT_TRUE(Env::Default()->RemoveAll(dir_).ok());
  }

  internalpb::V2Response Apply(internalpb::V2Request r) {
    internalpb::InternalRequest req;
    *req.mutable_v2() = std::move(r);
    ApplyResult res = ApplyRequest(chain_.get(), req, ++index_);
    EXPECT_TRUE(res.status.ok()) << res.status;
    const internalpb::V2Response* resp = ResponseAs<internalpb::V2Response>(res);
    return resp == nullptr ? internalpb::V2Response() : *resp;
  }
  static internalpb::V2Request Req(std::string method, std::string path, std::string val = "") {
    internalpb::V2Request r;
    r.set_method(std::move(method));
    r.set_path(std::move(path));
    r.set_val(std::move(val));
    return r;
  }

  std::string dir_;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<mvcc::KvStore> kv_;
  std::unique_ptr<V2Store> v2_;
  std::unique_ptr<KvApplier> kv_applier_;
  std::unique_ptr<ApplierV3> chain_;
  uint64_t index_ = 0;
};

TEST_F(V2ApplyTest, MethodsChooseEtcdsStoreOperations) {
  internalpb::V2Response set = Apply(Req("PUT", "/1/a", "x"));
  EXPECT_EQ(set.http_status(), 201);
  EXPECT_EQ(set.action(), "set");
  EXPECT_EQ(set.json(),
            "{\"action\":\"set\",\"node\":{\"key\":\"/a\",\"value\":\"x\",\"modifiedIndex\":1,"
            "\"createdIndex\":1}}");
  EXPECT_EQ(Apply(Req("PUT", "/1/a", "y")).http_status(), 200);  // replaced: not created

  internalpb::V2Request create = Req("PUT", "/1/a", "z");
  create.set_prev_exist(false);
  internalpb::V2Response exists = Apply(create);
  EXPECT_EQ(exists.http_status(), 412);
  EXPECT_EQ(exists.json(),
            "{\"errorCode\":105,\"message\":\"Key already exists\",\"cause\":\"/a\",\"index\":2}");

  internalpb::V2Request update = Req("PUT", "/1/a", "u");
  update.set_prev_exist(true);
  EXPECT_EQ(Apply(update).action(), "update");
  internalpb::V2Request cas = Req("PUT", "/1/a", "w");
  cas.set_prev_value("u");
  EXPECT_EQ(Apply(cas).action(), "compareAndSwap");
  internalpb::V2Request cad = Req("DELETE", "/1/a");
  cad.set_prev_index(1);
  EXPECT_EQ(Apply(cad).json(),
            "{\"errorCode\":101,\"message\":\"Compare failed\",\"cause\":\"[1 != 4]\","
            "\"index\":4}");

  internalpb::V2Response post = Apply(Req("POST", "/1/q", "job"));
  EXPECT_EQ(post.action(), "create");
  EXPECT_TRUE(absl::StrContains(post.json(), "\"key\":\"/q/00000000000000000005\"")) << post.json();
  internalpb::V2Response qget = Apply(Req("QGET", "/1/q"));
  EXPECT_EQ(qget.action(), "get");
  EXPECT_EQ(qget.etcd_index(), 5u);
  EXPECT_EQ(Apply(Req("DELETE", "/1/a")).action(), "delete");
}

TEST_F(V2ApplyTest, SyncExpiresAtTheProposedTime) {
  internalpb::V2Request r = Req("PUT", "/1/t", "v");
  const absl::Time expire = absl::FromUnixSeconds(2000000000);
  r.set_expiration(absl::ToUnixNanos(expire));
  Apply(r);
  EXPECT_TRUE(v2_->HasTtlKeys());
  internalpb::V2Request sync = Req("SYNC", "");
  sync.set_time(absl::ToUnixNanos(expire - absl::Seconds(1)));
  Apply(sync);
  EXPECT_TRUE(v2_->HasTtlKeys());
  sync.set_time(absl::ToUnixNanos(expire));
  Apply(sync);
  EXPECT_FALSE(v2_->HasTtlKeys());
  EXPECT_EQ(Apply(Req("QGET", "/1/t")).http_status(), 404);
}

TEST_F(V2ApplyTest, StateCommitsWithTheConsistentIndexAndSurvivesReopen) {
  Apply(Req("PUT", "/1/dir/k", "v"));
  Apply(Req("QGET", "/1/dir/k"));  // reads stage nothing
  EXPECT_EQ(kv_->ConsistentIndex(), 1u);
  Close();
  Open();
  internalpb::V2Response got = Apply(Req("QGET", "/1/dir/k"));
  EXPECT_EQ(got.json(),
            "{\"action\":\"get\",\"node\":{\"key\":\"/dir/k\",\"value\":\"v\",\"modifiedIndex\":1,"
            "\"createdIndex\":1}}");
}

TEST_F(V2ApplyTest, PollersRunAfterEachChangeUntilDone) {
  int runs = 0;
  v2_->AddPoller([&runs](v2store::Store*) { return ++runs < 3; });
  EXPECT_EQ(runs, 1);
  Apply(Req("QGET", "/1"));  // no change: not run
  EXPECT_EQ(runs, 1);
  Apply(Req("PUT", "/1/a", "1"));
  Apply(Req("PUT", "/1/a", "2"));
  Apply(Req("PUT", "/1/a", "3"));
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace etcdpp::server
