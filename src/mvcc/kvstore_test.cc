#include "mvcc/kvstore.h"

#include <algorithm>
#include <string>
#include <vector>

#include "mvcc/test_util.h"
#include "mvcc/txn.h"

namespace etcdpp::mvcc {
namespace {

using KvStoreTest = StoreTestBase;

std::vector<std::string> Keys(const RangeResult& r) {
  std::vector<std::string> out;
  for (const auto& kv : r.kvs) out.push_back(kv.key());
  return out;
}

TEST_F(KvStoreTest, EmptyStoreIsAtRevisionOne) {
  EXPECT_EQ(store_->Rev(), 1);
  EXPECT_EQ(store_->CompactRev(), -1);
  auto r = store_->Range("a", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rev, 1);
  EXPECT_EQ(r->count, 0);
  EXPECT_TRUE(r->kvs.empty());
}

TEST_F(KvStoreTest, PutAssignsRevisionsAndVersions) {
  EXPECT_EQ(Put("foo", "bar", 1, 7), 2);
  EXPECT_EQ(Put("foo", "baz"), 3);
  EXPECT_EQ(Put("other", "x"), 4);
  auto r = store_->Range("foo", "", {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kvs.size(), 1u);
  const auto& kv = r->kvs[0];
  EXPECT_EQ(kv.key(), "foo");
  EXPECT_EQ(kv.value(), "baz");
  EXPECT_EQ(kv.create_revision(), 2);
  EXPECT_EQ(kv.mod_revision(), 3);
  EXPECT_EQ(kv.version(), 2);
  EXPECT_EQ(kv.lease(), 0);
  EXPECT_EQ(r->rev, 4);
  EXPECT_EQ(store_->ConsistentIndex(), 1u);

  // Old revision: the value as of then, with the lease it had.
  RangeOptions o;
  o.rev = 2;
  r = store_->Range("foo", "", o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kvs.size(), 1u);
  EXPECT_EQ(r->kvs[0].value(), "bar");
  EXPECT_EQ(r->kvs[0].version(), 1);
  EXPECT_EQ(r->kvs[0].lease(), 7);
  EXPECT_EQ(r->rev, 4);  // the current revision, as etcd
}

TEST_F(KvStoreTest, DeleteWritesTombstoneAndRecreationStartsNewGeneration) {
  Put("a", "1");              // 2
  Put("a", "2");              // 3
  EXPECT_EQ(Delete("a"), 1);  // 4
  EXPECT_EQ(store_->Rev(), 4);
  EXPECT_EQ(Delete("a"), 0);  // nothing to delete: no new revision
  EXPECT_EQ(store_->Rev(), 4);
  EXPECT_EQ(store_->Range("a", "", {})->count, 0);
  Put("a", "3");  // 5
  auto r = store_->Range("a", "", {});
  ASSERT_EQ(r->kvs.size(), 1u);
  EXPECT_EQ(r->kvs[0].create_revision(), 5);
  EXPECT_EQ(r->kvs[0].version(), 1);
  RangeOptions o;
  o.rev = 4;
  EXPECT_EQ(store_->Range("a", "", o)->count, 0);
  o.rev = 3;
  EXPECT_EQ(store_->Range("a", "", o)->kvs.at(0).value(), "2");
}

TEST_F(KvStoreTest, TxnSharesOneMainRevisionWithSubRevisions) {
  Put("a", "0");  // 2
  auto tx = store_->Write(10);
  EXPECT_EQ(tx->Rev(), 2);
  tx->Put("b", "1", 0);
  EXPECT_EQ(tx->Rev(), 3);
  tx->Put("a", "1", 0);
  tx->Put("a", "2", 0);
  // The txn sees its own writes; other readers do not, yet.
  auto own = tx->Range("a", "", {});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->kvs.at(0).value(), "2");
  EXPECT_EQ(own->kvs.at(0).version(), 3);
  EXPECT_EQ(own->rev, 3);
  EXPECT_EQ(store_->Rev(), 2);
  EXPECT_EQ(store_->Range("a", "", {})->kvs.at(0).value(), "0");
  EXPECT_EQ(store_->Range("b", "", {})->count, 0);
  EXPECT_EQ(tx->DeleteRange("b", ""), 1);
  ASSERT_EQ(tx->Changes().size(), 4u);
  EXPECT_EQ(tx->Changes()[3].key(), "b");
  EXPECT_EQ(tx->Changes()[3].mod_revision(), 3);
  EXPECT_EQ(tx->Changes()[3].create_revision(), 0);
  tx->End();
  EXPECT_EQ(store_->Rev(), 3);
  EXPECT_EQ(store_->ConsistentIndex(), 10u);
  auto a = store_->Range("a", "", {})->kvs.at(0);
  EXPECT_EQ(a.value(), "2");
  EXPECT_EQ(a.mod_revision(), 3);
  EXPECT_EQ(a.create_revision(), 2);
  EXPECT_EQ(a.version(), 3);
  EXPECT_EQ(store_->Range("b", "", {})->count, 0);
  // The stored sub revisions: a@3.1, a@3.2 (the txn's second and third change).
  EXPECT_TRUE(be_->Get(backend::Bucket::kKey, RevBytes({3, 0})).ok());
  EXPECT_TRUE(be_->Get(backend::Bucket::kKey, RevBytes({3, 2})).ok());
  EXPECT_TRUE(be_->Get(backend::Bucket::kKey, RevBytes({3, 3}, true)).ok());
}

TEST_F(KvStoreTest, EmptyTxnKeepsRevision) {
  Put("a", "0");
  auto tx = store_->Write(5);
  EXPECT_TRUE(tx->Range("a", "", {}).ok());
  tx->End();
  EXPECT_EQ(store_->Rev(), 2);
  EXPECT_EQ(store_->ConsistentIndex(), 5u);
}

TEST_F(KvStoreTest, RangesLimitCountAndFromKey) {
  for (const char* k : {"a", "b", "c", "d", "e"}) Put(k, k);
  auto r = store_->Range("b", "e", {});
  EXPECT_EQ(Keys(*r), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(r->count, 3);
  RangeOptions o;
  o.limit = 2;
  r = store_->Range("a", std::string(1, '\0'), o);
  EXPECT_EQ(Keys(*r), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->count, 5);
  r = store_->Range("c", std::string(1, '\0'), {});
  EXPECT_EQ(Keys(*r), (std::vector<std::string>{"c", "d", "e"}));
  r = store_->Range(std::string(1, '\0'), std::string(1, '\0'), {});  // all keys
  EXPECT_EQ(r->count, 5);
  o = {};
  o.count_only = true;
  r = store_->Range("a", "z", o);
  EXPECT_EQ(r->count, 5);
  EXPECT_TRUE(r->kvs.empty());
  EXPECT_EQ(store_->Range("e", "a", {})->count, 0);  // end before key: empty
  EXPECT_EQ(Delete("b", "d"), 2);
  EXPECT_EQ(Keys(*store_->Range("a", "z", {})), (std::vector<std::string>{"a", "d", "e"}));
}

TEST_F(KvStoreTest, FutureAndCompactedErrors) {
  for (int i = 0; i < 5; ++i) Put("k", std::to_string(i));  // revs 2..6
  RangeOptions o;
  o.rev = 7;
  auto r = store_->Range("k", "", o);
  EXPECT_TRUE(IsFutureRev(r.status())) << r.status();
  EXPECT_EQ(r.status().message(), "mvcc: required revision is a future revision");

  EXPECT_TRUE(IsFutureRev(store_->Compact(7, 0).status()));
  auto wait = store_->Compact(4, 0);
  ASSERT_TRUE(wait.ok()) << wait.status();
  (*wait)();
  EXPECT_EQ(store_->CompactRev(), 4);
  EXPECT_TRUE(IsCompacted(store_->Compact(4, 0).status()));
  EXPECT_TRUE(IsCompacted(store_->Compact(3, 0).status()));
  o.rev = 3;
  r = store_->Range("k", "", o);
  EXPECT_TRUE(IsCompacted(r.status()));
  EXPECT_EQ(r.status().message(), "mvcc: required revision has been compacted");
  EXPECT_TRUE(absl::IsOutOfRange(r.status()));
  o.rev = 4;  // the compact revision itself is readable
  r = store_->Range("k", "", o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kvs.at(0).value(), "2");
  // Physically gone: revisions 2 and 3; kept: 4.
  EXPECT_TRUE(absl::IsNotFound(be_->Get(backend::Bucket::kKey, RevBytes({2, 0})).status()));
  EXPECT_TRUE(absl::IsNotFound(be_->Get(backend::Bucket::kKey, RevBytes({3, 0})).status()));
  EXPECT_TRUE(be_->Get(backend::Bucket::kKey, RevBytes({4, 0})).ok());
}

TEST_F(KvStoreTest, CompactRemovesDeletedKeysEntirely) {
  Put("a", "1");  // 2
  Delete("a");    // 3
  Put("b", "1");  // 4
  auto wait = store_->Compact(4, 0);
  ASSERT_TRUE(wait.ok());
  (*wait)();
  EXPECT_EQ(store_->IndexForTest().KeyCountForTest(), 1u);
  int n = 0;
  ASSERT_TRUE(be_->Range(backend::Bucket::kKey, "", "",
                         [&](std::string_view, std::string_view) {
                           ++n;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(n, 1);
}

TEST_F(KvStoreTest, ReopenRestoresEverything) {
  Put("a", "1", 3);      // 2
  Put("b", "1", 4);      // 3
  Put("a", "2", 5, 42);  // 4
  Delete("b", "", 6);    // 5
  Put("b", "3", 7);      // 6
  ASSERT_TRUE(store_->Compact(3, 8).ok());
  Delete("a", "", 9);  // 7
  ASSERT_TRUE(be_->ForceCommit().ok());
  Reopen();
  EXPECT_EQ(store_->Rev(), 7);
  EXPECT_EQ(store_->CompactRev(), 3);
  EXPECT_EQ(store_->ConsistentIndex(), 9u);
  EXPECT_EQ(store_->Range("a", "", {})->count, 0);
  auto b = store_->Range("b", "", {})->kvs.at(0);
  EXPECT_EQ(b.create_revision(), 6);
  EXPECT_EQ(b.version(), 1);
  RangeOptions o;
  o.rev = 4;
  auto a = store_->Range("a", "", o)->kvs.at(0);
  EXPECT_EQ(a.value(), "2");
  EXPECT_EQ(a.version(), 2);
  EXPECT_EQ(a.create_revision(), 2);
  EXPECT_EQ(a.lease(), 42);
  o.rev = 3;
  auto r = store_->Range("a", "z", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Keys(*r), (std::vector<std::string>{"a", "b"}));
  // The next write continues the revision sequence.
  EXPECT_EQ(Put("c", "1", 10), 8);
}

TEST_F(KvStoreTest, ReopenCollectsTheLeasesOfLiveKeys) {
  Put("a", "1", 1, 7);
  Put("b", "1", 2, 8);
  Put("b", "2", 3);  // b's newest revision has no lease
  Put("c", "1", 4, 9);
  Delete("c", "", 5);  // c is gone
  Put("d", "1", 6);
  Put("d", "2", 7, 10);  // d gained a lease
  ASSERT_TRUE(be_->ForceCommit().ok());
  Reopen();
  auto leases = store_->TakeRestoredLeases();
  std::sort(leases.begin(), leases.end());
  using KL = std::pair<std::string, int64_t>;
  EXPECT_EQ(leases, (std::vector<KL>{{"a", 7}, {"d", 10}}));
  EXPECT_TRUE(store_->TakeRestoredLeases().empty());  // handed over once
}

TEST_F(KvStoreTest, ReopenAfterCompactingAwayTheNewestRevision) {
  Put("a", "1");  // 2
  Delete("a");    // 3
  auto wait = store_->Compact(3, 0);
  ASSERT_TRUE(wait.ok());
  (*wait)();
  Reopen();
  EXPECT_EQ(store_->Rev(), 3);
  EXPECT_EQ(store_->CompactRev(), 3);
  EXPECT_EQ(Put("a", "x"), 4);
}

TEST_F(KvStoreTest, ReopenResumesScheduledCompaction) {
  Put("a", "1");  // 2
  Put("a", "2");  // 3
  {
    backend::BatchTx tx(be_.get());  // as if the process died after scheduling compaction
    tx.Put(backend::Bucket::kMeta, backend::kScheduledCompactKey, RevBytes({3, 0}));
  }
  Reopen();
  EXPECT_EQ(store_->CompactRev(), 3);
  RangeOptions o;
  o.rev = 2;
  EXPECT_TRUE(IsCompacted(store_->Range("a", "", o).status()));
  Reopen();  // the resumed compaction finished (or resumes again); either way consistent
  EXPECT_EQ(store_->CompactRev(), 3);
  EXPECT_EQ(store_->Range("a", "", {})->kvs.at(0).value(), "2");
}

TEST_F(KvStoreTest, ValuesReadableBeforeBackendCommit) {
  Put("a", "1");
  EXPECT_GT(be_->PendingOpsForTest(), 0u);  // nothing committed yet (no background commits)
  EXPECT_EQ(store_->Range("a", "", {})->kvs.at(0).value(), "1");
  ASSERT_TRUE(be_->ForceCommit().ok());
  EXPECT_EQ(be_->PendingOpsForTest(), 0u);
  EXPECT_EQ(store_->Range("a", "", {})->kvs.at(0).value(), "1");
}

TEST_F(KvStoreTest, HashByRev) {
  Put("a", "1");
  Put("b", "1");
  auto h1 = store_->HashByRev(0);
  ASSERT_TRUE(h1.ok());
  EXPECT_EQ(h1->revision, 3);
  EXPECT_EQ(h1->compact_revision, -1);
  EXPECT_EQ(store_->HashByRev(3)->hash, h1->hash);
  Put("c", "1");
  EXPECT_EQ(store_->HashByRev(3)->hash, h1->hash);  // later revisions do not count
  EXPECT_NE(store_->HashByRev(4)->hash, h1->hash);
  EXPECT_TRUE(IsFutureRev(store_->HashByRev(5).status()));
  ASSERT_TRUE(be_->ForceCommit().ok());
  EXPECT_EQ(store_->HashByRev(3)->hash, h1->hash);  // same whether committed or buffered
  auto wait = store_->Compact(3, 0);
  ASSERT_TRUE(wait.ok());
  (*wait)();
  EXPECT_TRUE(IsCompacted(store_->HashByRev(3).status()));
  EXPECT_EQ(store_->HashByRev(4)->compact_revision, 3);
}

}  // namespace
}  // namespace etcdpp::mvcc
