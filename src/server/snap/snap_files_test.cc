#include "server/snap/snap_files.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

class SnapFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    absl::StrCat("snap_files_test_", ::getpid(), "_",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(env_->RemoveAll(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveAll(dir_).ok()); }

  static raft::Snapshot Snap(uint64_t term, uint64_t index) {
    raft::Snapshot s;
    s.metadata.index = index;
    s.metadata.term = term;
    s.metadata.conf_state.voters = {1, 2, 3};
    s.metadata.conf_state.learners = {4};
    s.data = absl::StrCat("members-at-", index);
    return s;
  }
  void Overwrite(const std::string& path, const std::string& data) {
    auto f = env_->OpenFile(path, OpenMode::kCreateOrTruncate);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(SnapFilesTest, SaveThenLoadRoundTrips) {
  SnapFiles files(env_, dir_);
  ASSERT_TRUE(files.Save(Snap(2, 100)).ok());
  auto names = files.List();
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(*names, std::vector<std::string>{"0000000000000002-0000000000000064.snap"});
  auto loaded = files.Load((*names)[0]);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, Snap(2, 100));
}

TEST_F(SnapFilesTest, ListsNewestFirstAndIgnoresOtherFiles) {
  SnapFiles files(env_, dir_);
  ASSERT_TRUE(files.Save(Snap(2, 100)).ok());
  ASSERT_TRUE(files.Save(Snap(3, 50)).ok());
  ASSERT_TRUE(files.Save(Snap(2, 300)).ok());
  Overwrite(JoinPath(dir_, "db"), "not a snapshot");
  auto names = files.List();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names,
            (std::vector<std::string>{SnapFiles::FileName(3, 50), SnapFiles::FileName(2, 300),
                                      SnapFiles::FileName(2, 100)}));
}

TEST_F(SnapFilesTest, DamagedFilesFailNamingTheFile) {
  SnapFiles files(env_, dir_);
  ASSERT_TRUE(files.Save(Snap(2, 100)).ok());
  const std::string name = SnapFiles::FileName(2, 100);
  std::string bytes = *env_->ReadFileToString(files.PathOf(name));
  bytes[bytes.size() - 3] ^= 0x5a;  // a flipped byte: CRC mismatch
  Overwrite(files.PathOf(name), bytes);
  auto s = files.Load(name);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.status().message().find(files.PathOf(name)), absl::string_view::npos) << s.status();
  EXPECT_NE(s.status().message().find("crc mismatch"), absl::string_view::npos) << s.status();

  Overwrite(files.PathOf(name), "ab");  // shorter than the CRC
  EXPECT_EQ(files.Load(name).status().code(), absl::StatusCode::kDataLoss);
  // A valid file under another snapshot's name is refused too.
  Overwrite(files.PathOf(name), EncodeSnapshotFile(Snap(2, 101)));
  EXPECT_EQ(files.Load(name).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SnapFilesTest, PurgeKeepsTheNewestAndRemovesTempFiles) {
  SnapFiles files(env_, dir_);
  for (uint64_t i = 1; i <= 8; ++i) ASSERT_TRUE(files.Save(Snap(1, i * 10)).ok());
  Overwrite(JoinPath(dir_, SnapFiles::FileName(1, 90) + ".tmp"), "half written");
  ASSERT_TRUE(files.Purge(5).ok());
  auto names = files.List();
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 5u);
  EXPECT_EQ(names->front(), SnapFiles::FileName(1, 80));
  EXPECT_EQ(names->back(), SnapFiles::FileName(1, 40));
  EXPECT_FALSE(env_->FileExists(JoinPath(dir_, SnapFiles::FileName(1, 90) + ".tmp")));
  ASSERT_TRUE(files.Purge(0).ok());  // 0: keep all
  EXPECT_EQ(files.List()->size(), 5u);
}

}  // namespace
}  // namespace etcdpp::server
