// Mirrors etcd's wal_test.go: create/open/read round trips, segment cuts, snapshot markers,
// overwritten suffixes, hard state, release of old segments.

#include "wal/wal.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wal/wal_test_util.h"

namespace etcdpp::wal {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Env::Default(), except that removing the file set with FailRemoveOf fails once with an I/O
// error (FaultInjectionEnv injects no removal faults).
class FailRemoveEnv final : public EnvWrapper {
 public:
  FailRemoveEnv() : EnvWrapper(Env::Default()) {}
  void FailRemoveOf(std::string path) { fail_path_ = std::move(path); }

  absl::Status RemoveFile(const std::string& path) override {
    if (path != fail_path_) return target()->RemoveFile(path);
    fail_path_.clear();
    return absl::InternalError(absl::StrCat("injected removal failure: ", path));
  }

 private:
  std::string fail_path_;
};

class WalTest : public WalTestBase {
 protected:
  // Tests default to 64 KiB segments: reading a preallocated 64 MiB one costs time.
  static constexpr Options kDefault{.segment_size = 64 << 10};

  std::unique_ptr<Wal> CreateWal(Options opts = kDefault) {
    auto w = Wal::Create(env_, dir_, "metadata", opts);
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? std::move(*w) : nullptr;
  }
  absl::StatusOr<Wal::Contents> Reopen(WalSnapshot snap, std::unique_ptr<Wal>* out = nullptr,
                                       Options opts = kDefault) {
    auto w = Wal::Open(env_, dir_, snap, opts);
    if (!w.ok()) return w.status();
    auto c = (*w)->ReadAll();
    if (out != nullptr) *out = std::move(*w);
    return c;
  }
  static Options Small() { return Options{.segment_size = 4096}; }

  FailRemoveEnv fail_remove_env_;  // tests that use it point env_ here
};

TEST_F(WalTest, CreateWritesTheFirstSegmentAtomically) {
  EXPECT_FALSE(Wal::Exists(env_, dir_));
  auto w = CreateWal(Options{});
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(Wal::Exists(env_, dir_));
  EXPECT_FALSE(env_->FileExists(dir_ + ".tmp"));
  EXPECT_THAT(w->SegmentNamesForTest(),
              ElementsAreArray({"0000000000000000-0000000000000000.wal"}));
  EXPECT_EQ(*env_->GetFileSize(SegPath("0000000000000000-0000000000000000.wal")), 64u << 20);
  EXPECT_EQ(Wal::Create(env_, dir_, "m").status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(WalTest, CreateReplacesAnEmptyDirectory) {
  ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  EXPECT_FALSE(Wal::Exists(env_, dir_));
  EXPECT_NE(CreateWal(), nullptr);
}

TEST_F(WalTest, RoundTrip) {
  auto w = CreateWal();
  raft::HardState st{1, 1, 1};
  ASSERT_TRUE(w->Save(st, Ents(1, 5, 1)).ok());
  ASSERT_TRUE(w->Close().ok());

  std::unique_ptr<Wal> r;
  auto c = Reopen({}, &r);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metadata, "metadata");
  EXPECT_EQ(c->state, st);
  EXPECT_EQ(c->entries, Ents(1, 5, 1));
  // Appending continues after ReadAll.
  raft::HardState st2{2, 1, 5};
  ASSERT_TRUE(r->Save(st2, Ents(6, 7, 2)).ok());
  r.reset();
  c = Reopen({});
  ASSERT_TRUE(c.ok()) << c.status();
  auto want = Ents(1, 5, 1);
  for (auto& e : Ents(6, 7, 2)) want.push_back(e);
  EXPECT_EQ(c->entries, want);
  EXPECT_EQ(c->state, st2);
}

TEST_F(WalTest, EmptySaveWritesNothing) {
  auto w = CreateWal();
  uint64_t before = RecordsEnd(SegPath("0000000000000000-0000000000000000.wal"));
  ASSERT_TRUE(w->Save({}, {}).ok());
  EXPECT_EQ(RecordsEnd(SegPath("0000000000000000-0000000000000000.wal")), before);
}

TEST_F(WalTest, WritesNeedReadAllAndTheDirIsLocked) {
  CreateWal()->Close().IgnoreError();
  auto w = Wal::Open(env_, dir_, {});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Save({1, 0, 0}, {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Wal::Open(env_, dir_, {}).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*w)->ReadAll().ok());
  EXPECT_EQ((*w)->ReadAll().status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->Save({1, 0, 0}, {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Wal::Open(env_, dir_, {}).ok());
  EXPECT_EQ(Wal::Open(env_, JoinPath(root_, "nowhere"), {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(WalTest, CutsSegmentsAndReadsAcrossThem) {
  auto w = CreateWal(Small());
  std::vector<raft::Entry> all;
  for (uint64_t i = 1; i <= 200; ++i) {
    auto e = Ent(i, 1, std::string(100, static_cast<char>('a' + i % 26)));
    all.push_back(e);
    ASSERT_TRUE(w->Save({1, 1, i - 1}, {e}).ok());
  }
  auto names = w->SegmentNamesForTest();
  ASSERT_GT(names.size(), 3u);
  // Each later segment is named by the index after the last entry before it.
  for (size_t i = 1; i < names.size(); ++i) {
    auto prev = *ParseSegmentName(names[i - 1]);
    auto cur = *ParseSegmentName(names[i]);
    EXPECT_EQ(cur.seq, prev.seq + 1);
    EXPECT_GT(cur.index, prev.index);
    // Full segments are cut exactly at their last record.
    EXPECT_EQ(*env_->GetFileSize(SegPath(names[i - 1])), RecordsEnd(SegPath(names[i - 1])));
    EXPECT_GE(*env_->GetFileSize(SegPath(names[i - 1])), 4096u);
  }
  EXPECT_EQ(*env_->GetFileSize(SegPath(names.back())), 4096u);  // preallocated tail
  ASSERT_TRUE(w->Close().ok());
  auto c = Reopen({}, nullptr, Small());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->entries, all);
  EXPECT_EQ(c->state, (raft::HardState{1, 1, 199}));
}

TEST_F(WalTest, OpenAtSnapshotMarkerReadsLaterEntries) {
  auto w = CreateWal();
  ASSERT_TRUE(w->Save({1, 1, 10}, Ents(1, 10, 1)).ok());
  ASSERT_TRUE(w->SaveSnapshot({5, 1}).ok());
  ASSERT_TRUE(w->Save({}, Ents(11, 15, 1)).ok());
  w.reset();
  auto c = Reopen({5, 1});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->entries, Ents(6, 15, 1));
  EXPECT_EQ(c->state, (raft::HardState{1, 1, 10}));
  // etcd's TestOpenAtUncommittedIndex: the marker must exist...
  EXPECT_EQ(Reopen({7, 1}).status().code(), absl::StatusCode::kNotFound);
  // ...with the same term.
  auto mismatch = Reopen({5, 2});
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(mismatch.status().message()), HasSubstr("snapshot mismatch"));
}

// etcd's TestRecoverAfterCut: a snapshot marker and an entry per step, over many segments.
TEST_F(WalTest, RecoverAfterCut) {
  auto w = CreateWal(Options{.segment_size = 512});
  for (uint64_t i = 0; i < 30; ++i) {
    ASSERT_TRUE(w->SaveSnapshot({i, 0}).ok());
    ASSERT_TRUE(w->Save({}, {Ent(i + 1, 1, std::string(100, 'x'))}).ok());
  }
  ASSERT_GT(w->SegmentNamesForTest().size(), 5u);
  w.reset();
  for (uint64_t i = 0; i < 30; ++i) {
    auto c = Reopen({i, 0}, nullptr, Options{.segment_size = 512});
    ASSERT_TRUE(c.ok()) << i << ": " << c.status();
    ASSERT_EQ(c->entries.size(), 30 - i) << i;
    EXPECT_EQ(c->entries.front().index, i + 1);
    EXPECT_EQ(c->metadata, "metadata");
  }
}

TEST_F(WalTest, MissingMiddleSegmentIsAGap) {
  auto w = CreateWal(Options{.segment_size = 512});
  for (uint64_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(w->SaveSnapshot({i, 0}).ok());
    ASSERT_TRUE(w->Save({}, {Ent(i + 1, 1, std::string(100, 'x'))}).ok());
  }
  auto names = w->SegmentNamesForTest();
  w.reset();
  ASSERT_GT(names.size(), 4u);
  ASSERT_TRUE(env_->RemoveFile(SegPath(names[2])).ok());
  EXPECT_EQ(Reopen({0, 0}).status().code(), absl::StatusCode::kDataLoss);
  // Opening past the gap still works (etcd: snapshots after the removed file are readable).
  uint64_t after = ParseSegmentName(names[3])->index;
  auto c = Reopen({after, 0});
  EXPECT_TRUE(c.ok()) << c.status();
}

TEST_F(WalTest, EntriesOverwriteASuffix) {
  auto w = CreateWal();
  ASSERT_TRUE(w->Save({1, 1, 3}, Ents(1, 10, 1)).ok());
  ASSERT_TRUE(w->Save({2, 2, 3}, Ents(6, 8, 2)).ok());
  w.reset();
  std::unique_ptr<Wal> r;
  auto c = Reopen({}, &r);
  ASSERT_TRUE(c.ok()) << c.status();
  auto want = Ents(1, 5, 1);
  for (auto& e : Ents(6, 8, 2)) want.push_back(e);
  EXPECT_EQ(c->entries, want);
  ASSERT_TRUE(r->Save({}, Ents(9, 9, 2)).ok());
  r.reset();
  want.push_back(Ent(9, 2));
  EXPECT_EQ(Reopen({})->entries, want);
}

TEST_F(WalTest, OverwriteBelowTheSnapshotMarkerIsIgnored) {
  auto w = CreateWal();
  ASSERT_TRUE(w->Save({}, Ents(1, 10, 1)).ok());
  ASSERT_TRUE(w->SaveSnapshot({5, 1}).ok());
  ASSERT_TRUE(w->Save({}, Ents(4, 7, 2)).ok());
  w.reset();
  auto c = Reopen({5, 1});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->entries, Ents(6, 7, 2));
}

TEST_F(WalTest, HardStateLastWinsAndSurvivesRelease) {
  auto w = CreateWal(Options{.segment_size = 512});
  ASSERT_TRUE(w->Save({1, 1, 0}, {}).ok());
  ASSERT_TRUE(w->Save({2, 3, 0}, {}).ok());
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_TRUE(w->Save({}, {Ent(i, 2, std::string(100, 'y'))}).ok());
  }
  ASSERT_TRUE(w->SaveSnapshot({15, 2}).ok());
  ASSERT_TRUE(w->ReleaseLockTo(16).ok());
  w.reset();
  auto c = Reopen({15, 2});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state, (raft::HardState{2, 3, 0}));  // carried in each new segment's header
  EXPECT_EQ(c->entries, (std::vector<raft::Entry>{
                            Ent(16, 2, std::string(100, 'y')), Ent(17, 2, std::string(100, 'y')),
                            Ent(18, 2, std::string(100, 'y')), Ent(19, 2, std::string(100, 'y')),
                            Ent(20, 2, std::string(100, 'y'))}));
}

// etcd's TestReleaseLockTo: segments starting below the index are deleted, except the last one.
TEST_F(WalTest, ReleaseLockToDeletesOldSegments) {
  auto w = CreateWal(Options{.segment_size = 512});
  for (uint64_t i = 1; i <= 30; ++i) {
    ASSERT_TRUE(w->Save({}, {Ent(i, 1, std::string(200, 'z'))}).ok());
  }
  auto before = w->SegmentNamesForTest();
  ASSERT_GT(before.size(), 6u);
  ASSERT_TRUE(w->ReleaseLockTo(0).ok());
  EXPECT_EQ(w->SegmentNamesForTest(), before);

  uint64_t third_start = ParseSegmentName(before[3])->index;
  ASSERT_TRUE(w->ReleaseLockTo(third_start).ok());
  // Segments 0 and 1 go; segment 2 (last one starting below the index) stays.
  auto after = w->SegmentNamesForTest();
  EXPECT_EQ(after, std::vector<std::string>(before.begin() + 2, before.end()));
  EXPECT_FALSE(env_->FileExists(SegPath(before[0])));
  EXPECT_FALSE(env_->FileExists(SegPath(before[1])));
  EXPECT_TRUE(env_->FileExists(SegPath(before[2])));

  ASSERT_TRUE(w->ReleaseLockTo(1000).ok());  // never deletes the tail
  EXPECT_EQ(w->SegmentNamesForTest().size(), 1u);
  EXPECT_TRUE(w->Save({}, {Ent(31, 1)}).ok());
  EXPECT_EQ(w->SegmentNamesForTest(), std::vector<std::string>{before.back()});
}

// A removal that fails halfway leaves the Wal listing exactly the segments still on disk (and
// still locked), and the next release carries on from there.
TEST_F(WalTest, ReleaseLockToFailingHalfwayKeepsSegmentsInStepWithTheDisk) {
  env_ = &fail_remove_env_;
  auto w = CreateWal(Options{.segment_size = 512});
  for (uint64_t i = 1; i <= 30; ++i) {
    ASSERT_TRUE(w->Save({}, {Ent(i, 1, std::string(200, 'z'))}).ok());
  }
  auto before = w->SegmentNamesForTest();
  ASSERT_GT(before.size(), 6u);
  fail_remove_env_.FailRemoveOf(SegPath(before[2]));
  EXPECT_FALSE(w->ReleaseLockTo(1000).ok());
  EXPECT_FALSE(env_->FileExists(SegPath(before[1])));
  EXPECT_TRUE(env_->FileExists(SegPath(before[2])));
  EXPECT_EQ(w->SegmentNamesForTest(), std::vector<std::string>(before.begin() + 2, before.end()));
  EXPECT_FALSE(env_->LockFile(SegPath(before[2])).ok());  // the Wal still holds it

  ASSERT_TRUE(w->ReleaseLockTo(1000).ok());
  EXPECT_EQ(w->SegmentNamesForTest(), std::vector<std::string>{before.back()});
  EXPECT_FALSE(env_->FileExists(SegPath(before[2])));
  EXPECT_TRUE(w->Save({}, {Ent(31, 1)}).ok());
}

// A segment to be released that is already gone counts as deleted: what the release wanted.
TEST_F(WalTest, ReleaseLockToCountsAMissingSegmentAsDeleted) {
  auto w = CreateWal(Options{.segment_size = 512});
  for (uint64_t i = 1; i <= 30; ++i) {
    ASSERT_TRUE(w->Save({}, {Ent(i, 1, std::string(200, 'z'))}).ok());
  }
  auto before = w->SegmentNamesForTest();
  ASSERT_GT(before.size(), 6u);
  ASSERT_TRUE(env_->RemoveFile(SegPath(before[1])).ok());  // behind the Wal's back
  ASSERT_TRUE(w->ReleaseLockTo(ParseSegmentName(before[3])->index).ok());
  EXPECT_EQ(w->SegmentNamesForTest(), std::vector<std::string>(before.begin() + 2, before.end()));
  EXPECT_FALSE(env_->FileExists(SegPath(before[0])));
}

// etcd's --max-wals rule: releasing never leaves fewer than keep_at_least segments.
TEST_F(WalTest, ReleaseLockToKeepsAtLeastMaxWals) {
  auto w = CreateWal(Options{.segment_size = 512});
  for (uint64_t i = 1; i <= 30; ++i) {
    ASSERT_TRUE(w->Save({}, {Ent(i, 1, std::string(200, 'z'))}).ok());
  }
  auto before = w->SegmentNamesForTest();
  ASSERT_GT(before.size(), 6u);
  ASSERT_TRUE(w->ReleaseLockTo(1000, 5).ok());
  auto after = w->SegmentNamesForTest();
  EXPECT_EQ(after, std::vector<std::string>(before.end() - 5, before.end()));
  EXPECT_FALSE(env_->FileExists(SegPath(before[0])));
  EXPECT_TRUE(env_->FileExists(SegPath(after[0])));
}

}  // namespace
}  // namespace etcdpp::wal
