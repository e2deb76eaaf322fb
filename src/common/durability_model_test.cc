// DurabilityModel fed directly, for what FaultInjectionEnv never does: syncs that cover only
// the events before a sequence number (a journal's racing fsyncs), links, and renames of
// directories with pending entries inside.

#include "common/durability_model.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etcdpp {
namespace {

class DurabilityModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    absl::StrCat("durability_model_test_", ::getpid(), "_",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(env_->RemoveAll(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveAll(dir_).ok()); }

  std::string P(const std::string& name) const { return JoinPath(dir_, name); }
  std::string Read(const std::string& name) {
    auto s = env_->ReadFileToString(P(name));
    return s.ok() ? *s : "<missing>";
  }
  // Writes `data` at `offset` of `name` for real and tells the model.
  void Write(DurabilityModel::FileId id, const std::string& name, uint64_t offset,
             const std::string& data) {
    auto f = env_->OpenFile(P(name), OpenMode::kOpenOrCreate);
    ASSERT_TRUE(f.ok());
    DataChange c{.offset = offset, .length = data.size(), .is_write = true};
    c.old_size = *(*f)->Size();
    if (offset < c.old_size) {
      c.old_bytes.resize(std::min<uint64_t>(data.size(), c.old_size - offset));
      ASSERT_TRUE((*f)->ReadAt(offset, c.old_bytes.size(), c.old_bytes.data()).ok());
    }
    model_.Changed(id, std::move(c));
    ASSERT_TRUE((*f)->WriteAt(offset, data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  Env* env_ = Env::Default();
  DurabilityModel model_{Env::Default()};
  std::string dir_;
};

TEST_F(DurabilityModelTest, ASyncCoversOnlyTheEventsBeforeItsStart) {
  ASSERT_TRUE(env_->OpenFile(P("f"), OpenMode::kCreateNew).ok());
  DurabilityModel::FileId id = model_.NewId();
  model_.Opened(id, P("f"), /*created=*/false);
  Write(id, "f", 0, "first");
  DurabilityModel::Seq began = model_.next_seq();  // the fsync starts here...
  Write(id, "f", 5, "-second");                    // ...another thread writes meanwhile...
  model_.Synced(id, began);                        // ...and the fsync returns
  ASSERT_TRUE(model_.ApplyPowerLoss({}).ok());
  EXPECT_EQ(Read("f"), "first");
}

// A write is recorded before it is made; a process killed in between leaves a recorded append
// the file never got. A torn power loss that keeps part of it keeps only what the file holds:
// it never extends the file with zeros (mt_powerloss_test saw an unacknowledged record of
// zeros once in about 30 runs before).
TEST_F(DurabilityModelTest, TornCutInsideAWriteNeverMadeKeepsNothingOfIt) {
  ASSERT_TRUE(env_->OpenFile(P("f"), OpenMode::kCreateNew).ok());
  DurabilityModel::FileId id = model_.NewId();
  model_.Opened(id, P("f"), /*created=*/false);
  Write(id, "f", 0, "synced");
  model_.Synced(id);
  model_.Changed(id, DataChange{.offset = 6, .length = 1000, .old_size = 6, .is_write = true});
  // Every seed: a cut anywhere in the 1000 bytes (or past them) keeps the file as it is.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    DurabilityModel model{Env::Default()};
    DurabilityModel::FileId mid = model.NewId();
    model.Opened(mid, P("f"), /*created=*/false);
    model.Changed(mid, DataChange{.offset = 6, .length = 1000, .old_size = 6, .is_write = true});
    ASSERT_TRUE(model.ApplyPowerLoss(PowerLoss{.torn = true, .seed = seed}).ok());
    EXPECT_EQ(Read("f"), "synced") << "seed " << seed;
  }
  ASSERT_TRUE(model_.ApplyPowerLoss(PowerLoss{.torn = true, .seed = 3}).ok());
  EXPECT_EQ(Read("f"), "synced");
}

TEST_F(DurabilityModelTest, ADirectorySyncCoversOnlyEarlierEntries) {
  DurabilityModel::FileId a = model_.NewId(), b = model_.NewId();
  ASSERT_TRUE(env_->OpenFile(P("a"), OpenMode::kCreateNew).ok());
  model_.Opened(a, P("a"), /*created=*/true);
  DurabilityModel::Seq began = model_.next_seq();
  ASSERT_TRUE(env_->OpenFile(P("b"), OpenMode::kCreateNew).ok());
  model_.Opened(b, P("b"), /*created=*/true);
  model_.DirSynced(dir_, began);
  ASSERT_TRUE(model_.ApplyPowerLoss({}).ok());
  EXPECT_EQ(Read("a"), "");
  EXPECT_EQ(Read("b"), "<missing>");
}

TEST_F(DurabilityModelTest, LinksArePendingEntries) {
  ASSERT_TRUE(env_->OpenFile(P("a"), OpenMode::kCreateNew).ok());
  ASSERT_EQ(::link(P("a").c_str(), P("hard").c_str()), 0);
  model_.Linked(model_.NewId(), P("hard"));
  ASSERT_TRUE(model_.ApplyPowerLoss({}).ok());
  EXPECT_EQ(Read("a"), "");
  EXPECT_EQ(Read("hard"), "<missing>");
}

TEST_F(DurabilityModelTest, RenamedDirectoryCarriesItsPendingEntries) {
  ASSERT_TRUE(env_->CreateDirs(P("d")).ok());
  ASSERT_TRUE(env_->OpenFile(P("d/f"), OpenMode::kCreateNew).ok());
  DurabilityModel::FileId id = model_.NewId();
  model_.Opened(id, P("d/f"), /*created=*/true);  // pending in d
  ASSERT_TRUE(env_->RenameFile(P("d"), P("e")).ok());
  model_.Renamed(P("d"), P("e"), Preserved::Nothing());
  Write(id, "e/f", 0, "unsynced");
  model_.DirSynced(P("e"));  // the same directory under its new name: f's entry is durable
  ASSERT_TRUE(model_.ApplyPowerLoss({}).ok());
  EXPECT_EQ(Read("d/f"), "");  // the rename of d was never synced: back, f inside, empty
  EXPECT_EQ(Read("e/f"), "<missing>");
}

}  // namespace
}  // namespace etcdpp
