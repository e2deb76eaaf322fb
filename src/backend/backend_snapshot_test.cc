// Backend::CopyTo and Backend::ReplaceWith: the two ends of a raft snapshot transfer.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "backend/backend.h"
#include "gtest/gtest.h"

namespace etcdpp::backend {
namespace {

class BackendSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            absl::StrCat("backend_snapshot_test_", getpid(), "_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<Backend> Open(const std::string& sub) {
    Options o;
    o.dir = (root_ / sub).string();
    o.map_size = size_t{1} << 30;
    o.background_commits = false;
    auto be = Backend::Open(o);
    EXPECT_TRUE(be.ok()) << be.status();
    return be.ok() ? std::move(*be) : nullptr;
  }
  static void Put(Backend* be, int from, int to, const std::string& tag) {
    BatchTx tx(be);
    for (int i = from; i < to; ++i)
      tx.Put(Bucket::kKey, absl::StrCat("k", i), absl::StrCat(tag, i));
    tx.End();
  }
  static int Count(Backend* be) {
    int n = 0;
    EXPECT_TRUE(be->Range(Bucket::kKey, "", "", [&](std::string_view, std::string_view) {
                    ++n;
                    return true;
                  }).ok());
    return n;
  }
  // Copies `be` through a pipe (as the sender does) into `file`.
  static void CopyThroughPipe(Backend* be, const std::string& file) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    absl::Status st;
    std::thread copier([&] {
      st = be->CopyTo(fds[1]);
      ::close(fds[1]);
    });
    int out = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(out, 0);
    char buf[65536];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) {
      ASSERT_EQ(::write(out, buf, static_cast<size_t>(n)), n);
    }
    ::close(out);
    ::close(fds[0]);
    copier.join();
    ASSERT_TRUE(st.ok()) << st;
  }

  std::filesystem::path root_;
};

TEST_F(BackendSnapshotTest, CopyHoldsCommittedDataOnly) {
  auto leader = Open("leader");
  Put(leader.get(), 0, 1000, "v");
  ASSERT_TRUE(leader->ForceCommit().ok());
  Put(leader.get(), 1000, 1100, "staged");  // not committed: not in the copy
  const std::string file = (root_ / "copy.db").string();
  CopyThroughPipe(leader.get(), file);

  auto follower = Open("follower");
  Put(follower.get(), 5000, 5010, "old");
  ASSERT_TRUE(follower->ForceCommit().ok());
  Put(follower.get(), 6000, 6010, "old-staged");
  ASSERT_TRUE(follower->ReplaceWith(file).ok());
  EXPECT_FALSE(std::filesystem::exists(file));  // renamed into place
  EXPECT_EQ(Count(follower.get()), 1000);
  EXPECT_EQ(*follower->Get(Bucket::kKey, "k999"), "v999");
  EXPECT_FALSE(follower->Get(Bucket::kKey, "k5000").ok());
  EXPECT_FALSE(follower->Get(Bucket::kKey, "k6000").ok());  // staged writes were dropped
  // It stays writable, and the swap survives a reopen.
  Put(follower.get(), 2000, 2001, "after");
  ASSERT_TRUE(follower->ForceCommit().ok());
  follower.reset();
  auto reopened = Open("follower");
  EXPECT_EQ(Count(reopened.get()), 1001);
}

TEST_F(BackendSnapshotTest, ReadersDuringTheSwapSeeOldOrNewNeverAnError) {
  auto src = Open("src");
  Put(src.get(), 0, 500, "new");
  ASSERT_TRUE(src->ForceCommit().ok());
  auto be = Open("dst");
  Put(be.get(), 0, 500, "old");
  ASSERT_TRUE(be->ForceCommit().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto v = be->Get(Bucket::kKey, "k42");
        if (!v.ok() || (*v != "old42" && *v != "new42")) errors.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  }
  for (int round = 0; round < 5; ++round) {
    const std::string file = (root_ / absl::StrCat("copy", round, ".db")).string();
    CopyThroughPipe(src.get(), file);
    ASSERT_TRUE(be->ReplaceWith(file).ok());
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(*be->Get(Bucket::kKey, "k42"), "new42");
}

}  // namespace
}  // namespace etcdpp::backend
