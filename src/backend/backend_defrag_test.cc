// Backend::Defragment: the copy is smaller, loses nothing written before, during or after it,
// and the files on disk at each of its points reopen with every committed write.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backend/backend.h"
#include "gtest/gtest.h"

namespace etcdpp::backend {
namespace {

namespace fs = std::filesystem;

std::string Key(int i) { return absl::StrFormat("k%08d", i); }

class DefragTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("defrag_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::remove_all(Side());
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(Side());
  }
  fs::path Side() const { return fs::path(dir_.string() + "_side"); }

  std::unique_ptr<Backend> Open(const fs::path& dir, bool background,
                                std::function<void(DefragPoint)> hook = nullptr) {
    Options o;
    o.dir = dir.string();
    o.map_size = size_t{1} << 30;
    o.background_commits = background;
    o.batch_interval = absl::Milliseconds(5);
    o.on_defrag_point = std::move(hook);
    auto be = Backend::Open(o);
    EXPECT_TRUE(be.ok()) << be.status();
    return be.ok() ? std::move(*be) : nullptr;
  }

  // Writes keys [from, to) with 1 KiB values in batches of 500, committed.
  static void Fill(Backend* be, int from, int to, char c) {
    for (int i = from; i < to;) {
      BatchTx tx(be);
      for (int n = 0; n < 500 && i < to; ++n, ++i)
        tx.Put(Bucket::kKey, Key(i), std::string(1024, c));
      tx.End();
      ASSERT_TRUE(be->ForceCommit().ok());
    }
  }
  static std::map<std::string, std::string> All(Backend* be, Bucket b) {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(be->Range(b, "", "", [&](std::string_view k, std::string_view v) {
                    out.emplace(k, v);
                    return true;
                  }).ok());
    return out;
  }

  fs::path dir_;
};

TEST_F(DefragTest, CompactsFreedSpaceAndKeepsEveryKey) {
  auto be = Open(dir_, /*background=*/false);
  Fill(be.get(), 0, 8000, 'a');
  {
    BatchTx tx(be.get());
    for (int i = 0; i < 8000; ++i) {
      if (i % 10 != 0) tx.Delete(Bucket::kKey, Key(i));
    }
    tx.Put(Bucket::kMeta, "consistent_index", "x");
  }
  ASSERT_TRUE(be->ForceCommit().ok());
  const int64_t before = be->Size(), in_use_before = be->SizeInUse();
  ASSERT_LT(in_use_before, before / 4) << "the deletes should have freed most pages";
  auto stats = be->Defragment();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->size_before, before);
  EXPECT_EQ(stats->size_after, be->Size());
  EXPECT_LT(be->Size(), before / 4);
  // Nothing is free in a fresh copy but LMDB's own bookkeeping.
  EXPECT_GE(be->SizeInUse(), be->Size() - 4 * 4096);
  auto keys = All(be.get(), Bucket::kKey);
  ASSERT_EQ(keys.size(), 800u);
  for (int i = 0; i < 8000; i += 10) EXPECT_EQ(keys[Key(i)], std::string(1024, 'a'));
  EXPECT_EQ(*be->Get(Bucket::kMeta, "consistent_index"), "x");
  EXPECT_FALSE(fs::exists(be->DefragPath()));
  // Writes after the swap land in the new file and survive a reopen.
  Fill(be.get(), 8000, 8100, 'b');
  be.reset();
  be = Open(dir_, false);
  EXPECT_EQ(All(be.get(), Bucket::kKey).size(), 900u);
}

// Deletes staged but not yet committed when the defragmentation starts (a physical compaction
// that just finished) are committed first: the copy leaves their garbage out. The e2e alarm test
// failed in CI when the copy ran before the compaction's deletes were committed.
TEST_F(DefragTest, StagedDeletesAreCommittedBeforeTheCopy) {
  auto be = Open(dir_, /*background=*/false);
  Fill(be.get(), 0, 4000, 'a');
  {
    BatchTx tx(be.get());
    for (int i = 1; i < 4000; ++i) tx.Delete(Bucket::kKey, Key(i));
  }
  ASSERT_GT(be->PendingOpsForTest(), 0u);
  auto stats = be->Defragment();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_LT(be->Size(), 64 * 1024) << "the copy kept the deleted keys' pages";
  EXPECT_EQ(All(be.get(), Bucket::kKey).size(), 1u);
}

// Writes committed while the copy runs (injected at the copy's end, and from a writer thread
// with background commits throughout) are carried over; staged ones stay staged and commit into
// the new file.
TEST_F(DefragTest, WritesDuringTheCopyAreCarriedOver) {
  Backend* raw = nullptr;
  std::atomic<int> next{20000};
  auto be = Open(dir_, /*background=*/true, [&](DefragPoint p) {
    if (p == DefragPoint::kCopied) {
      BatchTx tx(raw);
      tx.Put(Bucket::kKey, "during-copy", "1");
      tx.Delete(Bucket::kKey, Key(1));
      tx.End();
      ASSERT_TRUE(raw->ForceCommit().ok());
    } else if (p == DefragPoint::kSynced) {
      // The commit lock is held here: this is only staged.
      BatchTx tx(raw);
      tx.Put(Bucket::kKey, "during-swap", "2");
    }
  });
  raw = be.get();
  Fill(be.get(), 0, 4000, 'a');
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int round = 0; round < 100000 && !stop.load(); ++round) {
      BatchTx tx(raw);
      int i = next.fetch_add(1);
      tx.Put(Bucket::kKey, Key(i), std::string(100, 'w'));
      if (i % 7 == 0) tx.Delete(Bucket::kKey, Key(i - 20000));
    }
  });
  auto stats = be->Defragment();
  stop = true;
  writer.join();
  ASSERT_TRUE(stats.ok()) << stats.status();
  const int written = next.load();
  std::map<std::string, std::string> want;
  for (int i = 0; i < 4000; ++i) want[Key(i)] = std::string(1024, 'a');
  for (int i = 20000; i < written; ++i) {
    want[Key(i)] = std::string(100, 'w');
    if (i % 7 == 0) want.erase(Key(i - 20000));
  }
  want.erase(Key(1));
  want["during-copy"] = "1";
  want["during-swap"] = "2";
  EXPECT_EQ(All(be.get(), Bucket::kKey), want);
  ASSERT_TRUE(be->ForceCommit().ok());
  be.reset();
  be = Open(dir_, false);
  EXPECT_EQ(All(be.get(), Bucket::kKey), want);
}

// A kill at any point of a defragmentation: the files as they are at that point reopen with
// every committed write (a stray copy is removed).
TEST_F(DefragTest, FilesAtEveryPointReopenWithEveryCommittedWrite) {
  for (DefragPoint at : {DefragPoint::kCopied, DefragPoint::kSynced, DefragPoint::kRenamed}) {
    SCOPED_TRACE(static_cast<int>(at));
    fs::remove_all(dir_);
    fs::remove_all(Side());
    Backend* raw = nullptr;
    auto be = Open(dir_, false, [&](DefragPoint p) {
      if (p == DefragPoint::kCopied) {
        BatchTx tx(raw);
        tx.Put(Bucket::kKey, "late", "1");
        tx.End();
        ASSERT_TRUE(raw->ForceCommit().ok());
      }
      if (p != at) return;
      // What a SIGKILL here would leave: the files as they are (the page cache survives).
      fs::create_directories(Side());
      for (const auto& e : fs::directory_iterator(dir_)) {
        if (e.path().filename().string().find("-lock") != std::string::npos) continue;
        fs::copy_file(e.path(), Side() / e.path().filename());
      }
    });
    raw = be.get();
    Fill(be.get(), 0, 3000, 'a');
    {
      BatchTx tx(be.get());
      for (int i = 0; i < 3000; i += 2) tx.Delete(Bucket::kKey, Key(i));
    }
    ASSERT_TRUE(be->ForceCommit().ok());
    auto want = All(be.get(), Bucket::kKey);
    want["late"] = "1";
    ASSERT_TRUE(be->Defragment().ok());
    be.reset();
    auto crashed = Open(Side(), false);
    ASSERT_NE(crashed, nullptr);
    EXPECT_EQ(All(crashed.get(), Bucket::kKey), want);
    EXPECT_FALSE(fs::exists(crashed->DefragPath()));
  }
}

TEST_F(DefragTest, ASnapshotInstalledMeanwhileAbandonsTheCopy) {
  Backend* raw = nullptr;
  fs::create_directories(Side());
  auto be = Open(dir_, false, [&](DefragPoint p) {
    if (p != DefragPoint::kCopied) return;
    int fd = ::open((Side() / "incoming").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(raw->CopyTo(fd).ok());
    ::fsync(fd);
    ::close(fd);
    fs::rename(Side() / "incoming", dir_ / "incoming");
    ASSERT_TRUE(raw->ReplaceWith((dir_ / "incoming").string()).ok());
  });
  raw = be.get();
  Fill(be.get(), 0, 100, 'a');
  auto stats = be->Defragment();
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kAborted) << stats.status();
  EXPECT_EQ(All(be.get(), Bucket::kKey).size(), 100u);
  EXPECT_FALSE(fs::exists(be->DefragPath()));
}

}  // namespace
}  // namespace etcdpp::backend
