// Alarms against a real backend and mvcc store: the store persists what the applier raises,
// the gate refuses exactly etcd's writes under NOSPACE and CORRUPT, and the quota costs are
// etcd's.
#include "server/apply/alarm_apply.h"

#include "backend/backend.h"
#include "gtest/gtest.h"
#include "server/apply/kv_apply.h"
#include "server/apply/test_backend.h"

namespace etcdpp::server {
namespace {

namespace pb = ::etcdserverpb;

class AlarmApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("alarm_apply_test");
    Open();
  }
  void Open() {
    absl::StatusOr<TestKv> opened = OpenTestKv(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    be_ = std::move(opened->be);
    kv_ = std::move(opened->kv);
    alarms_ = std::make_unique<AlarmStore>(be_.get());
    ASSERT_TRUE(alarms_->Load().ok());
    kv_applier_ = std::make_unique<KvApplier>(kv_.get());
    alarm_applier_ = std::make_unique<AlarmApplier>(kv_.get(), alarms_.get());
    backend_ = std::make_unique<BackendApplier>(kv_applier_.get(), nullptr, nullptr,
                                                alarm_applier_.get(), nullptr);
    top_ = std::make_unique<AlarmGateApplier>(backend_.get(), alarms_.get());
  }
  void Close() {
    ASSERT_TRUE(be_->ForceCommit().ok());
    top_.reset();
    backend_.reset();
    alarm_applier_.reset();
    kv_applier_.reset();
    alarms_.reset();
    kv_.reset();
    be_.reset();
  }
  void TearDown() override {
    Close();
    EXPECT_TRUE(Env::Default()->RemoveAll(dir_).ok());
  }

  ApplyResult Apply(internalpb::InternalRequest r) { return ApplyRequest(top_.get(), r, ++index_); }
  ApplyResult Alarm(pb::AlarmRequest::AlarmAction action, uint64_t member, pb::AlarmType type) {
    internalpb::InternalRequest r;
    r.mutable_alarm()->set_action(action);
    r.mutable_alarm()->set_memberid(member);
    r.mutable_alarm()->set_alarm(type);
    return Apply(r);
  }
  static internalpb::InternalRequest Put(const std::string& k, const std::string& v) {
    internalpb::InternalRequest r;
    r.mutable_put()->set_key(k);
    r.mutable_put()->set_value(v);
    return r;
  }
  static internalpb::InternalRequest Delete(const std::string& k) {
    internalpb::InternalRequest r;
    r.mutable_delete_range()->set_key(k);
    return r;
  }
  static internalpb::InternalRequest TxnWith(bool put) {
    internalpb::InternalRequest r;
    pb::RequestOp* op = r.mutable_txn()->add_success();
    if (put) {
      op->mutable_request_put()->set_key("t");
    } else {
      op->mutable_request_range()->set_key("t");
    }
    return r;
  }
  static internalpb::InternalRequest Compact(int64_t rev) {
    internalpb::InternalRequest r;
    r.mutable_compaction()->set_revision(rev);
    return r;
  }
  static internalpb::InternalRequest Grant(int64_t id) {
    internalpb::InternalRequest r;
    r.mutable_lease_grant()->set_id(id);
    r.mutable_lease_grant()->set_ttl(10);
    return r;
  }
  std::vector<std::string> Listed(pb::AlarmType type) {
    ApplyResult r = Alarm(pb::AlarmRequest::GET, 0, type);
    EXPECT_TRUE(r.status.ok());
    std::vector<std::string> out;
    for (const auto& m : ResponseAs<pb::AlarmResponse>(r)->alarms()) {
      out.push_back(AlarmStore::Describe(m));
    }
    return out;
  }

  std::string dir_;
  uint64_t index_ = 0;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<mvcc::KvStore> kv_;
  std::unique_ptr<AlarmStore> alarms_;
  std::unique_ptr<KvApplier> kv_applier_;
  std::unique_ptr<AlarmApplier> alarm_applier_;
  std::unique_ptr<ApplierV3> backend_;
  std::unique_ptr<ApplierV3> top_;
};

TEST_F(AlarmApplyTest, RaisedAlarmsAreListedPersistedAndClearedOneByOne) {
  EXPECT_TRUE(Listed(pb::NONE).empty());
  ApplyResult r = Alarm(pb::AlarmRequest::ACTIVATE, 7, pb::NOSPACE);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(ResponseAs<pb::AlarmResponse>(r)->alarms_size(), 1);
  // Raising it again answers the one already raised and changes nothing.
  r = Alarm(pb::AlarmRequest::ACTIVATE, 7, pb::NOSPACE);
  ASSERT_EQ(ResponseAs<pb::AlarmResponse>(r)->alarms_size(), 1);
  ASSERT_TRUE(Alarm(pb::AlarmRequest::ACTIVATE, 3, pb::NOSPACE).status.ok());
  ASSERT_TRUE(Alarm(pb::AlarmRequest::ACTIVATE, 3, pb::CORRUPT).status.ok());
  EXPECT_EQ(Listed(pb::NONE),
            (std::vector<std::string>{"memberID:3 alarm:NOSPACE ", "memberID:3 alarm:CORRUPT ",
                                      "memberID:7 alarm:NOSPACE "}));
  EXPECT_EQ(Listed(pb::CORRUPT), (std::vector<std::string>{"memberID:3 alarm:CORRUPT "}));

  Close();
  Open();  // from the alarm bucket
  EXPECT_EQ(Listed(pb::NONE).size(), 3u);
  EXPECT_TRUE(alarms_->Raised(pb::NOSPACE));
  EXPECT_TRUE(alarms_->Raised(pb::CORRUPT));

  // Clearing an alarm that is not raised answers none.
  r = Alarm(pb::AlarmRequest::DEACTIVATE, 9, pb::NOSPACE);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(ResponseAs<pb::AlarmResponse>(r)->alarms_size(), 0);
  ASSERT_TRUE(Alarm(pb::AlarmRequest::DEACTIVATE, 3, pb::CORRUPT).status.ok());
  ASSERT_TRUE(Alarm(pb::AlarmRequest::DEACTIVATE, 7, pb::NOSPACE).status.ok());
  EXPECT_TRUE(alarms_->Raised(pb::NOSPACE)) << "member 3's NOSPACE is still raised";
  EXPECT_FALSE(alarms_->Raised(pb::CORRUPT));
  ASSERT_TRUE(Alarm(pb::AlarmRequest::DEACTIVATE, 3, pb::NOSPACE).status.ok());
  EXPECT_FALSE(alarms_->Raised(pb::NOSPACE));
  Close();
  Open();
  EXPECT_TRUE(Listed(pb::NONE).empty());
}

TEST_F(AlarmApplyTest, NoSpaceRefusesPutsAndGrantsButFreesSpace) {
  ASSERT_TRUE(Apply(Put("a", "1")).status.ok());
  ASSERT_TRUE(Apply(Put("b", "1")).status.ok());
  ASSERT_TRUE(Alarm(pb::AlarmRequest::ACTIVATE, 1, pb::NOSPACE).status.ok());
  const std::string kNoSpace = "etcdserver: mvcc: database space exceeded";
  ApplyResult r = Apply(Put("c", "1"));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status.message(), kNoSpace);
  EXPECT_EQ(Apply(TxnWith(true)).status.message(), kNoSpace);
  EXPECT_EQ(Apply(Grant(5)).status.message(), kNoSpace);
  EXPECT_TRUE(Apply(TxnWith(false)).status.ok()) << "a txn without a put goes on";
  EXPECT_TRUE(Apply(Delete("a")).status.ok());
  EXPECT_TRUE(Apply(Compact(2)).status.ok());
  ASSERT_TRUE(Alarm(pb::AlarmRequest::DEACTIVATE, 1, pb::NOSPACE).status.ok());
  EXPECT_TRUE(Apply(Put("c", "1")).status.ok());
}

TEST_F(AlarmApplyTest, CorruptRefusesEveryWrite) {
  ASSERT_TRUE(Apply(Put("a", "1")).status.ok());
  ASSERT_TRUE(Alarm(pb::AlarmRequest::ACTIVATE, 1, pb::CORRUPT).status.ok());
  for (const internalpb::InternalRequest& r :
       {Put("b", "1"), Delete("a"), TxnWith(false), Compact(1), Grant(5)}) {
    ApplyResult got = Apply(r);
    EXPECT_EQ(got.status.code(), absl::StatusCode::kDataLoss) << r.ShortDebugString();
    EXPECT_EQ(got.status.message(), "etcdserver: corrupt cluster");
  }
  EXPECT_TRUE(Listed(pb::NONE).size() == 1) << "alarm requests themselves still apply";
}

TEST(QuotaCostTest, IsEtcds) {
  internalpb::InternalRequest put;
  put.mutable_put()->set_key("key");
  put.mutable_put()->set_value(std::string(1000, 'v'));
  EXPECT_EQ(QuotaCost(put), 256 + 3 + 1000);
  internalpb::InternalRequest txn;
  auto* t = txn.mutable_txn();
  *t->add_success()->mutable_request_put() = put.put();
  t->add_success()->mutable_request_delete_range()->set_key("x");
  *t->add_failure()->mutable_request_put() = put.put();
  *t->add_failure()->mutable_request_txn()->add_success()->mutable_request_put() = put.put();
  EXPECT_EQ(QuotaCost(txn), 2 * (256 + 3 + 1000)) << "the larger branch, nested puts counted";
  internalpb::InternalRequest grant;
  grant.mutable_lease_grant()->set_ttl(5);
  EXPECT_EQ(QuotaCost(grant), 64);
  internalpb::InternalRequest del;
  del.mutable_delete_range()->set_key("k");
  EXPECT_EQ(QuotaCost(del), 0);
}

}  // namespace
}  // namespace etcdpp::server
