#include "common/env.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace etcdpp {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    absl::StrCat("env_test_", ::getpid(), "_",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(env_->RemoveAll(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveAll(dir_).ok()); }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(EnvTest, WriteReadAppendTruncate) {
  std::string path = JoinPath(dir_, "f");
  auto f = env_->OpenFile(path, OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Append("hello").ok());
  ASSERT_TRUE((*f)->Append(" world").ok());
  ASSERT_TRUE((*f)->WriteAt(0, "J").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  char buf[32];
  auto n = (*f)->ReadAt(6, sizeof(buf), buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "world");
  ASSERT_TRUE((*f)->Truncate(5).ok());
  ASSERT_TRUE((*f)->Append("!").ok());
  ASSERT_TRUE((*f)->Fsync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*env_->ReadFileToString(path), "Jello!");
  EXPECT_EQ(*env_->GetFileSize(path), 6u);
  EXPECT_EQ(env_->OpenFile(path, OpenMode::kCreateNew).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(env_->OpenFile(JoinPath(dir_, "missing"), OpenMode::kOpenExisting).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EnvTest, PreallocateReadsAsZeroes) {
  auto f = env_->OpenFile(JoinPath(dir_, "p"), OpenMode::kCreateOrTruncate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("abc").ok());
  ASSERT_TRUE((*f)->Preallocate(4096).ok());
  EXPECT_EQ(*(*f)->Size(), 4096u);
  ASSERT_TRUE((*f)->Preallocate(100).ok());  // never shrinks
  EXPECT_EQ(*(*f)->Size(), 4096u);
  std::string data = *env_->ReadFileToString(JoinPath(dir_, "p"));
  EXPECT_EQ(data.substr(0, 3), "abc");
  EXPECT_TRUE(std::all_of(data.begin() + 3, data.end(), [](char c) { return c == 0; }));
}

TEST_F(EnvTest, DirectoriesRenameRemove) {
  std::string deep = JoinPath(dir_, "a/b/c");
  ASSERT_TRUE(env_->CreateDirs(deep).ok());
  ASSERT_TRUE(env_->CreateDirs(deep).ok());
  EXPECT_TRUE(env_->IsDirectory(deep));
  ASSERT_TRUE(env_->OpenFile(JoinPath(deep, "x"), OpenMode::kCreateNew).ok());
  ASSERT_TRUE(env_->RenameFile(JoinPath(deep, "x"), JoinPath(deep, "y")).ok());
  auto children = env_->GetChildren(deep);
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, std::vector<std::string>{"y"});
  ASSERT_TRUE(env_->SyncDir(deep).ok());
  ASSERT_TRUE(env_->RemoveFile(JoinPath(deep, "y")).ok());
  EXPECT_FALSE(env_->FileExists(JoinPath(deep, "y")));
  ASSERT_TRUE(env_->RemoveAll(JoinPath(dir_, "a")).ok());
  EXPECT_FALSE(env_->FileExists(JoinPath(dir_, "a")));
  EXPECT_TRUE(env_->RemoveAll(JoinPath(dir_, "a")).ok());  // missing is fine
}

TEST_F(EnvTest, LockIsExclusiveUntilReleased) {
  std::string path = JoinPath(dir_, "LOCK");
  auto l1 = env_->LockFile(path);
  ASSERT_TRUE(l1.ok()) << l1.status();
  auto l2 = env_->LockFile(path);
  EXPECT_EQ(l2.status().code(), absl::StatusCode::kUnavailable) << l2.status();
  l1->reset();
  EXPECT_TRUE(env_->LockFile(path).ok());
}

TEST_F(EnvTest, ClockAdvances) {
  uint64_t t0 = env_->NowMicros();
  env_->SleepForMicroseconds(2000);
  EXPECT_GE(env_->NowMicros() - t0, 2000u);
}

// The wall clock is the Unix time (request and lease ids put it in their middle bits so that a
// restarted member, even after a reboot, never reuses the ids of a previous run); the monotonic
// one is not.
TEST_F(EnvTest, WallClockIsUnixTime) {
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  const int64_t wall_us = static_cast<int64_t>(env_->WallMicros());
  EXPECT_LT(std::abs(wall_us - now_us), 60 * 1000 * 1000);  // within a minute of absl's clock
}

TEST(PathTest, JoinAndDirName) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("a/b/"), "a");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
}

}  // namespace
}  // namespace etcdpp
