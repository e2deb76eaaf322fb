// The v2 applier against a real backend and mvcc store: etcd's choice of store operation for
// each request, answers as etcd's HTTP layer writes them (keys and causes without /1), SYNC
// expiry at the leader's time, and the store's state staged with the entry's consistent index
// so that it survives a reopen.
#include "server/apply/v2_apply.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/apply/kv_apply.h"
#include "server/apply/test_backend.h"

namespace etcdpp::server {
namespace {

class V2ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("v2_apply_test");
    Open();
  }
  void Open() {
    absl::StatusOr<TestKv> opened = OpenTestKv(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    be_ = std::move(opened->be);
    kv_ = std::move(opened->kv);
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

TEST_F(V2ApplyTest, MembersAreMirroredUnderTheClusterNamespaceAsEtcds) {
  const std::vector<std::string> peers = {"http://127.0.0.1:2380"};
  v2_->MirrorMember(0xab, &peers, true, kv_.get(), ++index_);
  v2_->MirrorAttributes(0xab, "m0", {"http://127.0.0.1:2379"}, kv_.get(), ++index_);
  v2_->MirrorMember(0xab, &peers, false, kv_.get(), ++index_);  // promoted
  internalpb::V2Request get = Req("QGET", "/0/members/ab");
  get.set_recursive(true);
  get.set_sorted(true);
  EXPECT_EQ(Apply(get).json(),
            "{\"action\":\"get\",\"node\":{\"key\":\"/0/members/ab\",\"dir\":true,\"nodes\":["
            "{\"key\":\"/0/members/ab/attributes\",\"value\":\"{\\\"name\\\":\\\"m0\\\","
            "\\\"clientURLs\\\":[\\\"http://127.0.0.1:2379\\\"]}\",\"modifiedIndex\":2,"
            "\"createdIndex\":2},{\"key\":\"/0/members/ab/raftAttributes\",\"value\":"
            "\"{\\\"peerURLs\\\":[\\\"http://127.0.0.1:2380\\\"]}\",\"modifiedIndex\":3,"
            "\"createdIndex\":1}],\"modifiedIndex\":1,\"createdIndex\":1}}");
  v2_->MirrorMember(0xab, nullptr, false, kv_.get(), ++index_);
  EXPECT_EQ(Apply(Req("QGET", "/0/members/ab")).http_status(), 404);
  EXPECT_EQ(Apply(Req("QGET", "/0/removed_members/ab")).etcd_index(), 5u);
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
