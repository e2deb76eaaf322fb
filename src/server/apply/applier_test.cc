// The applier against a real backend and mvcc store: every kind of applied entry moves the
// consistent index (so a raft snapshot at the applied index never outruns the backend), replays
// at or below it are skipped, conf changes reach their hook in log order, and a halted applier
// applies nothing more.

#include "server/apply/applier.h"

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "gtest/gtest.h"
#include "internalpb/internal.pb.h"
#include "mvcc/kvstore.h"
#include "raft/confchange.h"
#include "server/apply/applier_v3.h"
#include "server/apply/kv_apply.h"
#include "server/apply/test_backend.h"
#include "server/errors.h"

namespace etcdpp::server {
namespace {

struct ConfCall {
  uint64_t index;
  uint64_t node;
  bool in_backend;
};

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("applier_test");
    Reopen();
  }
  void TearDown() override {
    CloseAll();
    EXPECT_TRUE(Env::Default()->RemoveAll(dir_).ok());
  }

  void CloseAll() {
    applier_.reset();
    top_.reset();
    inner_.reset();
    chain_.reset();
    kv_applier_.reset();
    store_.reset();
    be_.reset();
  }
  // (Re)opens the backend, the store and a fresh applier on the data in dir_ (a restart).
  void Reopen() {
    CloseAll();
    absl::StatusOr<TestKv> opened = OpenTestKv(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    be_ = std::move(opened->be);
    store_ = std::move(opened->kv);
    kv_applier_ = std::make_unique<KvApplier>(store_.get());
    conf_calls_.clear();
    attributes_.clear();
    empty_.clear();
    chain_ = std::make_unique<BackendApplier>(
        kv_applier_.get(), nullptr, nullptr, nullptr,
        [this](const internalpb::MemberAttributes& a) { attributes_.push_back(a.name()); });
    top_ = wrap_ ? wrap_(chain_.get()) : nullptr;
    applier_ = std::make_unique<Applier>(top_ ? top_.get() : chain_.get(), store_.get());
    applier_->SetConfChangeHook(
        [this](const raft::Entry& e, const raft::ConfChange& cc, bool in_backend) {
          conf_calls_.push_back({e.index, cc.node_id, in_backend});
        });
    applier_->SetOnEmptyEntry([this](const raft::Entry& e) { empty_.push_back(e.index); });
    applier_->Start();
  }

  static raft::Entry Request(uint64_t index, const internalpb::InternalRequest& r) {
    return raft::Entry{1, index, raft::EntryType::kNormal, r.SerializeAsString()};
  }
  static internalpb::InternalRequest Put(uint64_t id, const std::string& key, int64_t lease = 0) {
    internalpb::InternalRequest r;
    r.set_id(id);
    r.mutable_put()->set_key(key);
    r.mutable_put()->set_value("v-" + key);
    r.mutable_put()->set_lease(lease);
    return r;
  }
  static raft::Entry ConfChange(uint64_t index, uint64_t node) {
    raft::ConfChange cc;
    cc.type = raft::ConfChangeType::kAddNode;
    cc.node_id = node;
    return raft::Entry{1, index, raft::EntryType::kConfChange, raft::EncodeConfChange(cc)};
  }
  static raft::Entry Attributes(uint64_t index, const std::string& name) {
    internalpb::InternalRequest r;
    r.set_id(0);
    r.mutable_member_attributes()->set_id(7);
    r.mutable_member_attributes()->set_name(name);
    return Request(index, r);
  }

  // Applies one entry and waits until it is applied.
  void Apply(raft::Entry e) {
    const uint64_t index = e.index;
    applier_->Enqueue({std::move(e)});
    ASSERT_TRUE(applier_->WaitApplied(index));
  }
  // Registers a waiter for request `id` and returns what it receives.
  std::future<absl::Status> Wait(uint64_t id) {
    auto p = std::make_shared<std::promise<absl::Status>>();
    applier_->Register(id, [p](ApplyResult r) { p->set_value(r.status); });
    return p->get_future();
  }

  std::string dir_;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<mvcc::KvStore> store_;
  std::unique_ptr<KvApplier> kv_applier_;
  std::unique_ptr<ApplierV3> chain_;
  // Wrappers over chain_ (set before Reopen): the top of the chain the applier uses.
  std::function<std::unique_ptr<ApplierV3>(ApplierV3* next)> wrap_;
  std::unique_ptr<ApplierV3> top_;
  std::unique_ptr<ApplierV3> inner_;  // a second wrapper, below top_
  std::unique_ptr<Applier> applier_;
  std::vector<ConfCall> conf_calls_;
  std::vector<std::string> attributes_;
  std::vector<uint64_t> empty_;
};

// Each entry kind that writes nothing through a KV write txn used to leave the consistent index
// behind (ec3f637): a raft snapshot taken right after such an entry then outran the backend and
// the member refused to restart.
TEST_F(ApplierTest, EveryEntryKindMovesTheConsistentIndex) {
  Apply(ConfChange(1, 7));
  EXPECT_EQ(store_->ConsistentIndex(), 1u);
  Apply(raft::Entry{2, 2, raft::EntryType::kNormal, ""});  // a new leader's empty entry
  EXPECT_EQ(store_->ConsistentIndex(), 2u);
  Apply(Attributes(3, "m7"));
  EXPECT_EQ(store_->ConsistentIndex(), 3u);
  auto failed = Wait(40);
  Apply(Request(4, Put(40, "k", /*lease=*/12345)));  // "lease not found": nothing written
  EXPECT_EQ(failed.get().message(), ErrLeaseNotFound().message());
  EXPECT_EQ(store_->ConsistentIndex(), 4u);
  Apply(raft::Entry{2, 5, raft::EntryType::kNormal, "not a request"});
  EXPECT_EQ(store_->ConsistentIndex(), 5u);
  auto ok = Wait(60);
  Apply(Request(6, Put(60, "k")));
  EXPECT_TRUE(ok.get().ok());
  EXPECT_EQ(store_->ConsistentIndex(), 6u);
  Apply(raft::Entry{3, 7, raft::EntryType::kNormal, ""});
  EXPECT_EQ(store_->ConsistentIndex(), 7u);

  EXPECT_EQ(conf_calls_.size(), 1u);
  EXPECT_FALSE(conf_calls_[0].in_backend);
  EXPECT_EQ(attributes_, std::vector<std::string>{"m7"});
  EXPECT_EQ(empty_, (std::vector<uint64_t>{2, 7}));

  // Committed and reopened, the backend proves it holds everything applied.
  ASSERT_TRUE(be_->ForceCommit().ok());
  Reopen();
  EXPECT_EQ(store_->ConsistentIndex(), 7u);
}

// A restart replays the WAL from the snapshot: entries the backend holds are not applied again
// (their waiters, if any, are told the server stopped); conf changes among them reach the hook
// marked in_backend, so the member list is not rewritten with an older change.
TEST_F(ApplierTest, ReplaysAtOrBelowTheConsistentIndexAreSkipped) {
  Apply(Request(1, Put(1, "a")));
  Apply(ConfChange(2, 9));
  Apply(Attributes(3, "old"));
  ASSERT_TRUE(be_->ForceCommit().ok());
  Reopen();
  const int64_t rev = store_->Rev();
  auto replayed = Wait(1);
  Apply(Request(1, Put(1, "a")));
  EXPECT_EQ(replayed.get().message(), ErrStopped().message());
  Apply(ConfChange(2, 9));
  Apply(Attributes(3, "old"));
  EXPECT_EQ(store_->Rev(), rev);
  ASSERT_EQ(conf_calls_.size(), 1u);
  EXPECT_TRUE(conf_calls_[0].in_backend);
  EXPECT_TRUE(attributes_.empty());
  Apply(ConfChange(4, 10));
  ASSERT_EQ(conf_calls_.size(), 2u);
  EXPECT_FALSE(conf_calls_[1].in_backend);
  EXPECT_EQ(store_->ConsistentIndex(), 4u);
}

// A failed snapshot install halts the applier: nothing queued after it is applied, so no later
// entry can stage (and a later commit store) a consistent index over a half-swapped state.
TEST_F(ApplierTest, HaltedApplierAppliesNothingMore) {
  Apply(Request(1, Put(1, "a")));
  std::promise<void> go;
  std::promise<void> halted;
  applier_->EnqueueTask([&] {
    go.get_future().wait();  // the entries below are queued behind this task by now
    applier_->Halt(absl::InternalError("install failed"));
    halted.set_value();
  });
  applier_->Enqueue({Request(2, Put(2, "b")), ConfChange(3, 5)});
  applier_->Enqueue({Request(4, Put(4, "c"))});
  go.set_value();
  halted.get_future().wait();
  applier_->Enqueue({Request(5, Put(5, "d"))});  // after the halt
  EXPECT_FALSE(applier_->WaitApplied(5));        // returns: index 5 will never be reached
  applier_->Stop();  // joins: whatever the thread was going to do, it has done
  EXPECT_EQ(applier_->halted().message(), "install failed");
  EXPECT_EQ(applier_->applied_index(), 1u);
  EXPECT_EQ(store_->ConsistentIndex(), 1u);
  EXPECT_TRUE(conf_calls_.empty());
  auto b = store_->Range("b", "", {});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->kvs.empty());
}

}  // namespace
}  // namespace etcdpp::server

namespace etcdpp::server {
namespace {

// A wrapper as the quota and auth appliers will be: it refuses puts of large values with its
// own error and passes everything else down, noting which requests it saw in `seen`.
class RefuseLargePuts final : public ApplierV3Wrapper {
 public:
  RefuseLargePuts(ApplierV3* next, std::string name, std::vector<std::string>* seen)
      : ApplierV3Wrapper(next), name_(std::move(name)), seen_(seen) {}
  absl::Status Put(const etcdserverpb::PutRequest& r, uint64_t index,
                   etcdserverpb::PutResponse* resp) override {
    seen_->push_back(name_ + ":put");
    if (r.value().size() > 4) return absl::ResourceExhaustedError("value too large for " + name_);
    return ApplierV3Wrapper::Put(r, index, resp);
  }

 private:
  const std::string name_;
  std::vector<std::string>* const seen_;
};

// The outer wrapper judges first, the inner one next, the backend applier last; a refusal
// anywhere writes nothing, still moves the consistent index, and reaches the waiter. Requests
// a wrapper does not override pass through it untouched.
TEST_F(ApplierTest, WrappersJudgeInOrderAndRefusalsWriteNothing) {
  std::vector<std::string> seen;
  wrap_ = [this, &seen](ApplierV3* next) -> std::unique_ptr<ApplierV3> {
    inner_ = std::make_unique<RefuseLargePuts>(next, "inner", &seen);
    return std::make_unique<RefuseLargePuts>(inner_.get(), "outer", &seen);
  };
  Reopen();
  auto ok = Wait(1);
  Apply(Request(1, Put(1, "a")));  // value "v-a"
  EXPECT_TRUE(ok.get().ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"outer:put", "inner:put"}));

  internalpb::InternalRequest big = Put(2, "b");
  big.mutable_put()->set_value("too large");
  auto refused = Wait(2);
  const int64_t rev = store_->Rev();
  Apply(Request(2, big));
  absl::Status st = refused.get();
  EXPECT_TRUE(absl::IsResourceExhausted(st)) << st;
  EXPECT_EQ(st.message(), "value too large for outer");
  EXPECT_EQ(store_->Rev(), rev);
  EXPECT_EQ(store_->ConsistentIndex(), 2u);

  internalpb::InternalRequest del;
  del.set_id(3);
  del.mutable_delete_range()->set_key("a");
  auto deleted = Wait(3);
  Apply(Request(3, del));
  EXPECT_TRUE(deleted.get().ok());
  // The refused put stopped at the outer wrapper; the delete went past both unseen.
  EXPECT_EQ(seen, (std::vector<std::string>{"outer:put", "inner:put", "outer:put"}));
  auto a = store_->Range("a", "", {});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->kvs.empty());
}

// ApplyRequest gives each request kind its own response type (ResponseAs finds it, and no
// other), answers an unknown kind with UNIMPLEMENTED, and lease requests without a lease
// applier with UNIMPLEMENTED instead of a fake success.
TEST_F(ApplierTest, ApplyRequestTypesResponsesAndRefusesWhatItCannotServe) {
  ApplyResult put = ApplyRequest(chain_.get(), Put(1, "k"), 1);
  ASSERT_TRUE(put.status.ok()) << put.status;
  ASSERT_NE(ResponseAs<etcdserverpb::PutResponse>(put), nullptr);
  EXPECT_EQ(ResponseAs<etcdserverpb::TxnResponse>(put), nullptr);

  internalpb::InternalRequest txn;
  txn.mutable_txn()->add_success()->mutable_request_range()->set_key("k");
  ApplyResult t = ApplyRequest(chain_.get(), txn, 2);
  ASSERT_TRUE(t.status.ok()) << t.status;
  auto* tr = ResponseAs<etcdserverpb::TxnResponse>(t);
  ASSERT_NE(tr, nullptr);
  EXPECT_TRUE(tr->succeeded());
  ASSERT_EQ(tr->responses_size(), 1);
  EXPECT_EQ(tr->responses(0).response_range().kvs_size(), 1);

  internalpb::InternalRequest none;  // no request set
  ApplyResult u = ApplyRequest(chain_.get(), none, 3);
  EXPECT_TRUE(absl::IsUnimplemented(u.status)) << u.status;

  internalpb::InternalRequest grant;
  grant.mutable_lease_grant()->set_ttl(10);
  ApplyResult g = ApplyRequest(chain_.get(), grant, 4);
  EXPECT_TRUE(absl::IsUnimplemented(g.status)) << g.status;
  EXPECT_EQ(g.status.message(), "leases are not served");
}

}  // namespace
}  // namespace etcdpp::server
