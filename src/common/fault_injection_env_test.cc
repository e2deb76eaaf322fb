#include "common/fault_injection_env.h"

#include <unistd.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

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

  // Creates or overwrites `path` through env_ with `data`, synced or not.
  absl::Status Write(const std::string& path, std::string_view data, bool sync) {
    auto f = env_.OpenFile(path, OpenMode::kOpenOrCreate);
    if (!f.ok()) return f.status();
    absl::Status s = (*f)->WriteAt(0, data);
    if (s.ok() && sync) s = (*f)->Sync();
    if (s.ok()) s = (*f)->Close();
    return s;
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

TEST_F(FaultInjectionEnvTest, CreatedDirectoryVanishesWithoutParentSync) {
  std::string sub = JoinPath(dir_, "sub");
  ASSERT_TRUE(env_.CreateDirs(JoinPath(sub, "deeper")).ok());
  ASSERT_TRUE(Write(JoinPath(sub, "f"), "x", /*sync=*/true).ok());
  ASSERT_TRUE(env_.SyncDir(sub).ok());  // f's entry is durable, sub's own entry is not
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_FALSE(base_->FileExists(sub));

  ASSERT_TRUE(env_.CreateDirs(sub).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_TRUE(base_->IsDirectory(sub));
}

TEST_F(FaultInjectionEnvTest, RenameOverExistingFileBringsOldTargetBack) {
  ASSERT_TRUE(Write(JoinPath(dir_, "a"), "old", /*sync=*/true).ok());
  ASSERT_TRUE(Write(JoinPath(dir_, "a.tmp"), "new", /*sync=*/true).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.RenameFile(JoinPath(dir_, "a.tmp"), JoinPath(dir_, "a")).ok());
  EXPECT_EQ(Read("a"), "new");
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("a"), "old");
  EXPECT_EQ(Read("a.tmp"), "new");

  ASSERT_TRUE(env_.RenameFile(JoinPath(dir_, "a.tmp"), JoinPath(dir_, "a")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());  // the rename is durable now
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("a"), "new");
  EXPECT_FALSE(base_->FileExists(JoinPath(dir_, "a.tmp")));
}

TEST_F(FaultInjectionEnvTest, RemovedFileReappearsWithItsSyncedContents) {
  std::string path = JoinPath(dir_, "f");
  ASSERT_TRUE(Write(path, "synced", /*sync=*/true).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  {
    auto f = env_.OpenFile(path, OpenMode::kOpenExisting);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("+unsynced").ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  ASSERT_TRUE(env_.RemoveFile(path).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("f"), "synced");

  ASSERT_TRUE(env_.RemoveFile(path).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_FALSE(base_->FileExists(path));
}

TEST_F(FaultInjectionEnvTest, RemovedDirectoryAndItsFilesReappear) {
  std::string sub = JoinPath(dir_, "sub");
  ASSERT_TRUE(env_.CreateDirs(sub).ok());
  ASSERT_TRUE(Write(JoinPath(sub, "f"), "kept", /*sync=*/true).ok());
  ASSERT_TRUE(env_.SyncDir(sub).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.RemoveAll(sub).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("sub/f"), "kept");
}

TEST_F(FaultInjectionEnvTest, CreateOrTruncateIsUndone) {
  std::string path = JoinPath(dir_, "f");
  {
    auto b = base_->OpenFile(path, OpenMode::kCreateNew);  // made behind the env: counts as synced
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->Append("before").ok());
  }
  auto f = env_.OpenFile(path, OpenMode::kCreateOrTruncate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("after").ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("f"), "before");
}

// The states a torn power loss may leave `synced` in after `writes` (offset, bytes), in order:
// every prefix, in bytes, of the sequence.
std::set<std::string> TornStates(const std::string& synced,
                                 const std::vector<std::pair<uint64_t, std::string>>& writes) {
  std::set<std::string> states;
  size_t total = 0;
  for (const auto& w : writes) total += w.second.size();
  for (size_t cut = 0; cut <= total; ++cut) {
    std::string s = synced;
    size_t left = cut;
    for (const auto& [offset, bytes] : writes) {
      size_t n = std::min(left, bytes.size());
      if (n > 0 && s.size() < offset + n) s.resize(offset + n, '\0');
      if (n > 0) s.replace(offset, n, bytes.substr(0, n));
      left -= n;
    }
    states.insert(s);
  }
  return states;
}

TEST_F(FaultInjectionEnvTest, TornPowerLossKeepsASeededPrefix) {
  const std::vector<std::pair<uint64_t, std::string>> writes = {
      {8, "aaaaaaa"}, {2, "OVER"}, {15, "bbbbbbbbbb"}, {4, "xy"}, {25, "ccc"}};
  const std::set<std::string> allowed = TornStates("01234567", writes);
  auto run = [&](uint64_t seed) -> std::string {
    std::string path = JoinPath(dir_, "f");
    EXPECT_TRUE(base_->RemoveAll(path).ok());
    EXPECT_TRUE(Write(path, "01234567", /*sync=*/true).ok());
    EXPECT_TRUE(env_.SyncDir(dir_).ok());
    auto f = env_.OpenFile(path, OpenMode::kOpenExisting);
    EXPECT_TRUE(f.ok());
    for (const auto& [offset, bytes] : writes) EXPECT_TRUE((*f)->WriteAt(offset, bytes).ok());
    EXPECT_TRUE((*f)->Close().ok());
    EXPECT_TRUE(env_.DropUnsyncedData(PowerLoss{.torn = true, .seed = seed}).ok());
    return Read("f");
  };
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::string got = run(seed);
    EXPECT_TRUE(allowed.contains(got)) << "seed " << seed << ": " << got;
    EXPECT_EQ(run(seed), got) << "seed " << seed << " is not reproducible";
    seen.insert(got);
  }
  EXPECT_GE(seen.size(), 5u);  // the cut moves with the seed
}

TEST_F(FaultInjectionEnvTest, TornPowerLossNeverTouchesSyncedData) {
  std::string path = JoinPath(dir_, "f");
  ASSERT_TRUE(Write(path, "durable", /*sync=*/true).ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  for (uint64_t seed = 0; seed < 10; ++seed) {
    ASSERT_TRUE(env_.DropUnsyncedData(PowerLoss{.torn = true, .seed = seed}).ok());
    EXPECT_EQ(Read("f"), "durable");
  }
}

// Env::CreateDirsSynced makes each directory it creates durable in its parent; plain CreateDirs
// does not (the data dir of a member that lost power vanished with every write in it).
TEST_F(FaultInjectionEnvTest, CreateDirsSyncedSurvivesAPowerLoss) {
  ASSERT_TRUE(env_.CreateDirsSynced(JoinPath(dir_, "synced/member/snap")).ok());
  ASSERT_TRUE(env_.CreateDirs(JoinPath(dir_, "plain/member")).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_TRUE(base_->IsDirectory(JoinPath(dir_, "synced/member/snap")));
  EXPECT_FALSE(base_->IsDirectory(JoinPath(dir_, "plain")));
}

}  // namespace
}  // namespace etcdpp
