#include "backend/backend.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etcdpp::backend {
namespace {

class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("backend_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Backend> OpenBackend(bool background = false) {
    Options o;
    o.dir = dir_.string();
    o.map_size = size_t{1} << 30;
    o.background_commits = background;
    auto be = Backend::Open(o);
    EXPECT_TRUE(be.ok()) << be.status();
    return be.ok() ? std::move(*be) : nullptr;
  }

  std::map<std::string, std::string> All(Backend* be, Bucket b, std::string_view from = "",
                                         std::string_view to = "") {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(be->Range(b, from, to, [&](std::string_view k, std::string_view v) {
                    out.emplace(k, v);
                    return true;
                  }).ok());
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(BackendTest, StagedValuesAreReadableBeforeCommit) {
  auto be = OpenBackend();
  {
    BatchTx tx(be.get());
    tx.Put(Bucket::kKey, "a", "1");
    tx.Put(Bucket::kMeta, "a", "meta");
  }
  EXPECT_EQ(be->PendingOpsForTest(), 2u);
  EXPECT_EQ(*be->Get(Bucket::kKey, "a"), "1");
  EXPECT_EQ(*be->Get(Bucket::kMeta, "a"), "meta");
  EXPECT_TRUE(absl::IsNotFound(be->Get(Bucket::kLease, "a").status()));
  ASSERT_TRUE(be->ForceCommit().ok());
  EXPECT_EQ(be->PendingOpsForTest(), 0u);
  EXPECT_EQ(*be->Get(Bucket::kKey, "a"), "1");
}

TEST_F(BackendTest, ReopenRestoresCommittedData) {
  {
    auto be = OpenBackend();
    BatchTx tx(be.get());
    for (int i = 0; i < 100; ++i) tx.Put(Bucket::kKey, absl::StrCat("k", i), absl::StrCat(i));
    tx.End();
    ASSERT_TRUE(be->ForceCommit().ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "db"));
  auto be = OpenBackend();
  EXPECT_EQ(All(be.get(), Bucket::kKey).size(), 100u);
  EXPECT_EQ(*be->Get(Bucket::kKey, "k42"), "42");
}

TEST_F(BackendTest, DeleteHidesCommittedValueUntilAndAfterCommit) {
  auto be = OpenBackend();
  {
    BatchTx tx(be.get());
    tx.Put(Bucket::kLease, "x", "1");
    tx.Put(Bucket::kLease, "y", "2");
  }
  ASSERT_TRUE(be->ForceCommit().ok());
  {
    BatchTx tx(be.get());
    tx.Delete(Bucket::kLease, "x");
    tx.Put(Bucket::kLease, "y", "3");
  }
  EXPECT_TRUE(absl::IsNotFound(be->Get(Bucket::kLease, "x").status()));
  EXPECT_EQ(All(be.get(), Bucket::kLease), (std::map<std::string, std::string>{{"y", "3"}}));
  ASSERT_TRUE(be->ForceCommit().ok());
  EXPECT_TRUE(absl::IsNotFound(be->Get(Bucket::kLease, "x").status()));
  EXPECT_EQ(All(be.get(), Bucket::kLease), (std::map<std::string, std::string>{{"y", "3"}}));
}

TEST_F(BackendTest, RangeMergesBufferAndCommittedInOrder) {
  auto be = OpenBackend();
  {
    BatchTx tx(be.get());
    for (const char* k : {"b", "d", "f"}) tx.Put(Bucket::kKey, k, "old");
  }
  ASSERT_TRUE(be->ForceCommit().ok());
  {
    BatchTx tx(be.get());
    for (const char* k : {"a", "d", "e", "g"}) tx.Put(Bucket::kKey, k, "new");
    tx.Delete(Bucket::kKey, "f");
  }
  std::map<std::string, std::string> want = {
      {"a", "new"}, {"b", "old"}, {"d", "new"}, {"e", "new"}, {"g", "new"}};
  EXPECT_EQ(All(be.get(), Bucket::kKey), want);
  EXPECT_EQ(All(be.get(), Bucket::kKey, "b", "e"),
            (std::map<std::string, std::string>{{"b", "old"}, {"d", "new"}}));
  std::vector<std::string> order;
  ASSERT_TRUE(be->Range(Bucket::kKey, "", "", [&](std::string_view k, std::string_view) {
                  order.emplace_back(k);
                  return order.size() < 3;
                }).ok());
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "d"}));

  std::vector<std::string> keys = {"a", "b", "f", "zz"};
  std::map<size_t, std::string> got;
  ASSERT_TRUE(be->GetMany(Bucket::kKey, keys, [&](size_t i, std::string_view v) {
                  got.emplace(i, v);
                }).ok());
  EXPECT_EQ(got, (std::map<size_t, std::string>{{0, "new"}, {1, "old"}}));
}

TEST_F(BackendTest, BackgroundCommitterCommitsWithinInterval) {
  auto be = OpenBackend(/*background=*/true);
  {
    BatchTx tx(be.get());
    tx.Put(Bucket::kKey, "a", "1");
  }
  for (int i = 0; i < 100 && be->PendingOpsForTest() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(be->PendingOpsForTest(), 0u);
  EXPECT_EQ(*be->Get(Bucket::kKey, "a"), "1");
  EXPECT_GT(be->Size(), 0);
  EXPECT_GT(be->SizeInUse(), 0);
  EXPECT_LE(be->SizeInUse(), be->Size());
}

TEST_F(BackendTest, OpenFailureNamesTheFile) {
  std::filesystem::create_directories(dir_);
  std::filesystem::create_directories(dir_ / "db");  // a directory where the file should be
  Options o;
  o.dir = dir_.string();
  auto be = Backend::Open(o);
  ASSERT_FALSE(be.ok());
  EXPECT_NE(be.status().message().find((dir_ / "db").string()), std::string::npos) << be.status();
}

// Readers racing the committer never miss a value: every key written so far stays visible
// while batches move from the buffer into LMDB.
TEST_F(BackendTest, ReadersNeverMissValuesDuringCommits) {
  Options o;
  o.dir = dir_.string();
  o.map_size = size_t{1} << 30;
  o.batch_interval = absl::Milliseconds(2);
  o.batch_limit = 20;
  auto be = *Backend::Open(o);
  std::atomic<int> written{0};
  std::atomic<bool> done{false};
  std::atomic<int> misses{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        int n = written.load();
        if (n == 0) {
          std::this_thread::yield();
          continue;
        }
        int k = n - 1 - (n * 7919 % std::min(n, 64));
        if (!be->Get(Bucket::kKey, absl::StrCat("k", 100000 + k)).ok()) misses++;
      }
    });
  }
  for (int i = 0; i < 1000; ++i) {
    BatchTx tx(be.get());
    tx.Put(Bucket::kKey, absl::StrCat("k", 100000 + i), "v");
    tx.End();
    written.store(i + 1);
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(misses.load(), 0);
}

// A commit that fails (here the LMDB map is full) is aborted whole and ends committing: it and
// every later commit return an error naming the file, failed() reports it, the process goes on
// (it used to abort), staged values stay readable, and the file reopens at its last commit.
TEST_F(BackendTest, FailedCommitEndsCommittingAndKeepsTheFileUsable) {
  Options o;
  o.dir = dir_.string();
  o.map_size = size_t{1} << 20;  // 1 MiB
  o.background_commits = false;
  auto be = Backend::Open(o);
  ASSERT_TRUE(be.ok()) << be.status();
  {
    BatchTx tx(be->get());
    tx.Put(Bucket::kKey, "before", "committed");
  }
  ASSERT_TRUE((*be)->ForceCommit().ok());
  {
    BatchTx tx(be->get());
    for (int i = 0; i < 64; ++i)
      tx.Put(Bucket::kKey, absl::StrCat("big", i), std::string(32 << 10, 'x'));
  }
  absl::Status st = (*be)->ForceCommit();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find((dir_ / "db").string()), std::string::npos) << st;
  EXPECT_NE(st.message().find("MDB_MAP_FULL"), std::string::npos) << st;
  EXPECT_EQ((*be)->failed(), st);
  EXPECT_EQ((*be)->Get(Bucket::kKey, "big63")->size(), size_t{32} << 10);  // still readable
  {
    BatchTx tx(be->get());
    tx.Put(Bucket::kKey, "after", "staged");
  }
  EXPECT_EQ((*be)->ForceCommit(), st);  // nothing is committed any more
  EXPECT_EQ(*(*be)->Get(Bucket::kKey, "after"), "staged");
  be->reset();

  o.map_size = size_t{1} << 30;
  auto reopened = Backend::Open(o);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->failed().ok());
  EXPECT_EQ(*(*reopened)->Get(Bucket::kKey, "before"), "committed");
  EXPECT_TRUE(absl::IsNotFound((*reopened)->Get(Bucket::kKey, "big0").status()));
  EXPECT_TRUE(absl::IsNotFound((*reopened)->Get(Bucket::kKey, "after").status()));
}

}  // namespace
}  // namespace etcdpp::backend
