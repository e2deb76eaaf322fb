#include "common/fault_injection_env.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etcdpp {
namespace {

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    absl::StrCat("fault_env_test_", ::getpid(), "_",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(base_->RemoveAll(dir_).ok());
    ASSERT_TRUE(base_->CreateDirs(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(base_->RemoveAll(dir_).ok()); }

  std::string Read(const std::string& name) {
    auto s = base_->ReadFileToString(JoinPath(dir_, name));
    return s.ok() ? *s : "<" + s.status().ToString() + ">";
  }

  Env* base_ = Env::Default();
  FaultInjectionEnv env_{Env::Default()};
  std::string dir_;
};

TEST_F(FaultInjectionEnvTest, DropsWritesAfterLastSync) {
  auto f = env_.OpenFile(JoinPath(dir_, "f"), OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE((*f)->Append("synced").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("-lost").ok());
  ASSERT_TRUE((*f)->WriteAt(0, "S").ok());  // an overwrite below the synced size is undone too
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(Read("f"), "Synced-lost");
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("f"), "synced");
  EXPECT_EQ(env_.sync_count(), 1);
}

TEST_F(FaultInjectionEnvTest, UndoesUnsyncedTruncateAndPreallocate) {
  auto f = env_.OpenFile(JoinPath(dir_, "f"), OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE((*f)->Append("0123456789").ok());
  ASSERT_TRUE((*f)->Fsync().ok());
  ASSERT_TRUE((*f)->Truncate(4).ok());
  ASSERT_TRUE((*f)->Preallocate(100).ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("f"), "0123456789");
}

TEST_F(FaultInjectionEnvTest, RemovesCreationsWithoutDirSync) {
  auto f = env_.OpenFile(JoinPath(dir_, "new"), OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("x").ok());
  ASSERT_TRUE((*f)->Sync().ok());  // data synced, but the directory entry is not
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_FALSE(base_->FileExists(JoinPath(dir_, "new")));
}

TEST_F(FaultInjectionEnvTest, RevertsRenamesWithoutDirSync) {
  auto f = env_.OpenFile(JoinPath(dir_, "a.tmp"), OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("data").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.RenameFile(JoinPath(dir_, "a.tmp"), JoinPath(dir_, "a")).ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_TRUE(base_->FileExists(JoinPath(dir_, "a.tmp")));
  EXPECT_FALSE(base_->FileExists(JoinPath(dir_, "a")));

  ASSERT_TRUE(env_.RenameFile(JoinPath(dir_, "a.tmp"), JoinPath(dir_, "a")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("a"), "data");
}

TEST_F(FaultInjectionEnvTest, RenamedDirectoryKeepsFileState) {
  std::string tmp = JoinPath(dir_, "d.tmp");
  ASSERT_TRUE(env_.CreateDirs(tmp).ok());
  auto f = env_.OpenFile(JoinPath(tmp, "f"), OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("kept").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(tmp).ok());
  ASSERT_TRUE(env_.RenameFile(tmp, JoinPath(dir_, "d")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE((*f)->Append("+lost").ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("d/f"), "kept");
}

TEST_F(FaultInjectionEnvTest, FailNextWriteAndSync) {
  auto f = env_.OpenFile(JoinPath(dir_, "f"), OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  env_.FailNextWrite();
  EXPECT_FALSE((*f)->Append("a").ok());
  EXPECT_TRUE((*f)->Append("b").ok());
  env_.FailNextSync();
  EXPECT_FALSE((*f)->Sync().ok());
  EXPECT_TRUE((*f)->Sync().ok());
  env_.FailNextWrite(/*after=*/2);
  EXPECT_TRUE((*f)->Append("c").ok());
  EXPECT_TRUE((*f)->Append("d").ok());
  EXPECT_FALSE((*f)->Append("e").ok());
  EXPECT_TRUE((*f)->Append("f").ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(Read("f"), "bcdf");
}

}  // namespace
}  // namespace etcdpp
