// KvStore::Reload: the store rebuilt from a backend whose database was replaced (a raft
// snapshot from the leader).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "mvcc/test_util.h"

namespace etcdpp::mvcc {
namespace {

class ReloadTest : public StoreTestBase {};

TEST_F(ReloadTest, ReloadTakesTheReplacedDatabase) {
  // The "leader": another store with more history, copied as the sender does.
  backend::Options o;
  o.dir = (dir_ / "leader").string();
  o.map_size = size_t{1} << 30;
  o.background_commits = false;
  auto lbe = backend::Backend::Open(o);
  ASSERT_TRUE(lbe.ok());
  auto leader = KvStore::Open(lbe->get());
  ASSERT_TRUE(leader.ok());
  for (int i = 0; i < 50; ++i) {
    auto tx = (*leader)->Write(100 + i);
    tx->Put(absl::StrCat("k", i % 10), absl::StrCat("v", i), i % 3 == 0 ? 7 : 0);
    tx->End();
  }
  ASSERT_TRUE((*leader)->Compact(20, 150).ok());
  ASSERT_TRUE((*lbe)->ForceCommit().ok());
  const std::string copy = (dir_ / "copy.db").string();
  {
    int fd = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE((*lbe)->CopyTo(fd).ok());
    ::close(fd);
  }

  Put("old", "x", 3);
  ASSERT_TRUE(be_->ReplaceWith(copy).ok());
  ASSERT_TRUE(store_->Reload().ok());
  EXPECT_EQ(store_->Rev(), (*leader)->Rev());
  EXPECT_EQ(store_->CompactRev(), 20);
  EXPECT_EQ(store_->ConsistentIndex(), 150u);
  EXPECT_EQ(store_->Range("old", "", {})->count, 0);
  auto mine = store_->Range("k", "l", {});
  auto theirs = (*leader)->Range("k", "l", {});
  ASSERT_TRUE(mine.ok() && theirs.ok());
  ASSERT_EQ(mine->kvs.size(), theirs->kvs.size());
  for (size_t i = 0; i < mine->kvs.size(); ++i) {
    EXPECT_EQ(mine->kvs[i].SerializeAsString(), theirs->kvs[i].SerializeAsString());
  }
  EXPECT_FALSE(store_->TakeRestoredLeases().empty());  // for the lessor's re-attachment
  // Writes go on from the new revision.
  int64_t rev = store_->Rev();
  EXPECT_EQ(Put("after", "1", 151), rev + 1);
}

// The compactor that comes over from the rebuilt store reports where the store's did, and
// keeps reporting after the rebuilding store is gone (it reported into freed memory once: the
// robustness suite's members segfaulted on their compaction thread after a snapshot install).
TEST_F(ReloadTest, CompactionsAfterAReloadStillReport) {
  store_.reset();
  auto done = std::make_shared<std::atomic<int>>(0);
  CompactionReport report;
  report.db_done = [done](absl::Duration, size_t) { done->fetch_add(1); };
  auto s = KvStore::Open(be_.get(), report);
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = std::move(*s);
  for (int i = 0; i < 20; ++i) Put(absl::StrCat("k", i % 4), absl::StrCat("v", i), 10 + i);
  ASSERT_TRUE(be_->ForceCommit().ok());
  ASSERT_TRUE(store_->Reload().ok());
  for (int round = 1; round <= 3; ++round) {
    for (int i = 0; i < 20; ++i) Put(absl::StrCat("k", i % 4), "w", 100 * round + i);
    auto wait = store_->Compact(store_->Rev() - 5, 100 * round + 50);
    ASSERT_TRUE(wait.ok()) << wait.status();
    (*wait)();
    EXPECT_EQ(done->load(), round);
  }
}

}  // namespace
}  // namespace etcdpp::mvcc
