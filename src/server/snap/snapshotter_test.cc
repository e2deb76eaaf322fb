#include "server/snap/snapshotter.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

class SnapshotterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = JoinPath(::testing::TempDir(),
                     absl::StrCat("snapshotter_test_", ::getpid(), "_",
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(env_->RemoveAll(root_).ok());
    ASSERT_TRUE(env_->CreateDirs(JoinPath(root_, "snap")).ok());
    auto w =
        wal::Wal::Create(env_, JoinPath(root_, "wal"), "meta", wal::Options{.segment_size = 4096});
    ASSERT_TRUE(w.ok()) << w.status();
    wal_ = *std::move(w);
    files_ = std::make_unique<SnapFiles>(env_, JoinPath(root_, "snap"));
    std::vector<raft::Entry> ents;
    for (uint64_t i = 1; i <= kEntries; ++i) {
      ents.push_back(raft::Entry{1, i, raft::EntryType::kNormal, std::string(100, 'x')});
    }
    for (size_t i = 0; i < ents.size(); i += 10) {  // several segments
      std::vector<raft::Entry> batch(ents.begin() + i, ents.begin() + i + 10);
      ASSERT_TRUE(wal_->Save({.term = 1, .commit = batch.back().index}, batch).ok());
    }
    ASSERT_TRUE(storage_.Append(ents).ok());
  }
  void TearDown() override {
    wal_.reset();
    EXPECT_TRUE(env_->RemoveAll(root_).ok());
  }

  std::unique_ptr<Snapshotter> NewSnapshotter(Snapshotter::Options o) {
    Snapshotter::Deps d;
    d.storage = &storage_;
    d.wal = wal_.get();
    d.files = files_.get();
    d.commit_backend = [this] {
      ++commits_;
      return absl::OkStatus();
    };
    d.durable_index = [this] { return durable_index_; };
    d.conf_state_at = [](uint64_t index) {
      return raft::ConfState{.voters = index < 200 ? std::vector<uint64_t>{1}
                                                   : std::vector<uint64_t>{1, 2}};
    };
    d.data = [] { return std::string("members"); };
    d.on_saved = [this](uint64_t index) { saved_.push_back(index); };
    return std::make_unique<Snapshotter>(o, std::move(d), 0);
  }

  static constexpr uint64_t kEntries = 400;
  Env* env_ = Env::Default();
  std::string root_;
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<SnapFiles> files_;
  raft::MemoryStorage storage_;
  int commits_ = 0;
  uint64_t durable_index_ = UINT64_MAX;  // what the "backend" proves it holds after a commit
  std::vector<uint64_t> saved_;
};

TEST_F(SnapshotterTest, SnapshotsEveryCountAndCompactsKeepingTheCatchUpWindow) {
  auto s = NewSnapshotter(
      {.snapshot_count = 100, .catchup_entries = 20, .max_snapshots = 2, .max_wals = 1});
  size_t segments_before = wal_->SegmentNamesForTest().size();
  ASSERT_GT(segments_before, 3u);
  ASSERT_TRUE(s->MaybeSnapshot(100).ok());  // not past the count yet
  EXPECT_EQ(commits_, 0);
  EXPECT_EQ(*storage_.FirstIndex(), 1u);

  ASSERT_TRUE(s->MaybeSnapshot(150).ok());
  EXPECT_EQ(commits_, 1);  // the backend was committed before the snapshot
  EXPECT_EQ(s->snapshot_index(), 150u);
  EXPECT_EQ(saved_, std::vector<uint64_t>{150});
  EXPECT_EQ(*storage_.FirstIndex(), 131u);  // 150 - catch-up 20, + 1
  raft::Snapshot snap = *storage_.GetSnapshot();
  EXPECT_EQ(snap.metadata.index, 150u);
  EXPECT_EQ(snap.metadata.term, 1u);
  EXPECT_EQ(snap.metadata.conf_state.voters, std::vector<uint64_t>{1});
  EXPECT_EQ(*files_->Load(SnapFiles::FileName(1, 150)), snap);
  EXPECT_LT(wal_->SegmentNamesForTest().size(), segments_before);  // released below 150

  ASSERT_TRUE(s->MaybeSnapshot(249).ok());  // 99 past: nothing
  EXPECT_EQ(commits_, 1);
  ASSERT_TRUE(s->MaybeSnapshot(251).ok());
  ASSERT_TRUE(s->MaybeSnapshot(352).ok());
  EXPECT_EQ(saved_, (std::vector<uint64_t>{150, 251, 352}));
  EXPECT_EQ(storage_.GetSnapshot()->metadata.conf_state.voters, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(*files_->List(),
            (std::vector<std::string>{SnapFiles::FileName(1, 352), SnapFiles::FileName(1, 251)}));
  EXPECT_EQ(*storage_.FirstIndex(), 333u);
}

// The WAL reopens at the newest snapshot's marker and replays only what follows it.
TEST_F(SnapshotterTest, WalReopensAtTheSnapshotMarker) {
  auto s = NewSnapshotter({.snapshot_count = 100, .catchup_entries = 20});
  ASSERT_TRUE(s->MaybeSnapshot(300).ok());
  wal_.reset();
  auto w = wal::Wal::Open(env_, JoinPath(root_, "wal"), wal::WalSnapshot{300, 1});
  ASSERT_TRUE(w.ok()) << w.status();
  auto c = (*w)->ReadAll();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->entries.size(), kEntries - 300);
  EXPECT_EQ(c->entries.front().index, 301u);
  EXPECT_EQ(c->state.commit, kEntries);
}

// A snapshot older than the one the storage has (one received from the leader) is skipped.
TEST_F(SnapshotterTest, SkipsWhenANewerSnapshotIsInstalled) {
  raft::Snapshot newer;
  newer.metadata = {.conf_state = {.voters = {1}}, .index = 390, .term = 1};
  ASSERT_TRUE(storage_.ApplySnapshot(newer).ok());
  auto s = NewSnapshotter({.snapshot_count = 100, .catchup_entries = 20});
  EXPECT_TRUE(s->MaybeSnapshot(200).ok());
  EXPECT_TRUE(files_->List()->empty());
  EXPECT_TRUE(s->fatal().ok());
}

}  // namespace
}  // namespace etcdpp::server

namespace etcdpp::server {
namespace {

// A snapshot above what the backend holds would leave a member that refuses to restart
// ("the backend ... holds entries up to index X, older than the snapshot"): never taken.
TEST_F(SnapshotterTest, RefusesASnapshotAboveTheBackendsConsistentIndex) {
  auto s = NewSnapshotter({.snapshot_count = 100, .catchup_entries = 20});
  durable_index_ = 149;
  absl::Status st = s->MaybeSnapshot(150);
  EXPECT_TRUE(absl::IsInternal(st)) << st;
  EXPECT_NE(st.message().find("consistent index 149"), absl::string_view::npos) << st;
  EXPECT_TRUE(files_->List()->empty());
  EXPECT_EQ(*storage_.FirstIndex(), 1u);  // nothing compacted
  EXPECT_FALSE(s->fatal().ok());
}

// --max-wals=0 is etcd's "unlimited": no WAL segment is ever deleted.
TEST_F(SnapshotterTest, MaxWalsZeroKeepsEverySegment) {
  auto s = NewSnapshotter({.snapshot_count = 100, .catchup_entries = 20, .max_wals = 0});
  size_t segments_before = wal_->SegmentNamesForTest().size();
  ASSERT_TRUE(s->MaybeSnapshot(350).ok());
  EXPECT_EQ(s->snapshot_index(), 350u);
  EXPECT_EQ(wal_->SegmentNamesForTest().size(), segments_before);
}

}  // namespace
}  // namespace etcdpp::server
