// Crash simulation with FaultInjectionEnv: whatever Save returned OK for survives a power loss
// (unsynced data dropped), a failed write or sync poisons the Wal, and crashes inside a segment
// cut or inside Create leave a log that opens cleanly.

#include <random>
#include <string>
#include <vector>

#include "common/fault_injection_env.h"
#include "gtest/gtest.h"
#include "wal/wal.h"
#include "wal/wal_test_util.h"

namespace etcdpp::wal {
namespace {

constexpr Options kSmall{.segment_size = 1024};

class WalFaultTest : public WalTestBase {
 protected:
  // Simulates the crash: the process's handles are gone, then unsynced data is dropped.
  void Crash(std::unique_ptr<Wal> w) {
    w.reset();
    ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
  }
  absl::StatusOr<Wal::Contents> Recover(std::unique_ptr<Wal>* keep = nullptr) {
    auto w = Wal::Open(&fenv_, dir_, {}, kSmall);
    if (!w.ok()) return w.status();
    auto c = (*w)->ReadAll();
    if (keep != nullptr) *keep = std::move(*w);
    return c;
  }
  static void ApplyBatch(std::vector<raft::Entry>* log, const std::vector<raft::Entry>& batch) {
    for (const raft::Entry& e : batch) {
      log->resize(e.index - 1);
      log->push_back(e);
    }
  }

  FaultInjectionEnv fenv_{Env::Default()};
};

TEST_F(WalFaultTest, AcknowledgedSavesSurviveAndTheUnsyncedBatchIsDropped) {
  auto w = Wal::Create(&fenv_, dir_, "meta", kSmall);
  ASSERT_TRUE(w.ok()) << w.status();
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_TRUE((*w)->Save({1, 1, i}, {Ent(i, 1, std::string(150, 'q'))}).ok());
  }
  fenv_.FailNextSync();
  EXPECT_FALSE((*w)->Save({2, 2, 20}, {Ent(21, 2)}).ok());
  Crash(std::move(*w));
  auto c = Recover();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->entries.size(), 20u);
  EXPECT_EQ(c->entries.back(), Ent(20, 1, std::string(150, 'q')));
  EXPECT_EQ(c->state, (raft::HardState{1, 1, 20}));
}

TEST_F(WalFaultTest, FailedWriteIsSticky) {
  auto w = Wal::Create(&fenv_, dir_, "meta", kSmall);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Save({}, {Ent(1, 1)}).ok());
  fenv_.FailNextWrite();
  absl::Status s = (*w)->Save({}, {Ent(2, 1)});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ((*w)->Save({}, {Ent(2, 1)}), s);  // refused without touching the disk again
  EXPECT_EQ((*w)->SaveSnapshot({1, 1}), s);
  Crash(std::move(*w));
  auto c = Recover();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->entries, std::vector<raft::Entry>{Ent(1, 1)});
}

// The batch that fills a segment is synced; the cut that follows fails at its k-th sync (old
// tail, new segment, directory). After the crash the log opens, and appends and cuts again.
TEST_F(WalFaultTest, CrashInsideASegmentCut) {
  for (int k = 1; k <= 3; ++k) {
    SCOPED_TRACE(k);
    ASSERT_TRUE(env_->RemoveAll(dir_).ok());
    auto w = Wal::Create(&fenv_, dir_, "meta", kSmall);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Save({1, 1, 0}, Ents(1, 3, 1)).ok());
    std::vector<raft::Entry> big{Ent(4, 1, std::string(1200, 'c'))};
    fenv_.FailNextSync(/*after=*/k);
    EXPECT_FALSE((*w)->Save({}, big).ok());
    Crash(std::move(*w));

    std::unique_ptr<Wal> r;
    auto c = Recover(&r);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_EQ(c->entries.size(), 4u);  // the batch itself was synced before the cut
    ASSERT_TRUE(r->Save({1, 1, 4}, {Ent(5, 1, std::string(1200, 'd')), Ent(6, 1)}).ok());
    EXPECT_GE(r->SegmentNamesForTest().size(), 2u);
    r.reset();
    c = Recover();
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->entries.size(), 6u);
    EXPECT_EQ(c->state, (raft::HardState{1, 1, 4}));
  }
}

TEST_F(WalFaultTest, CrashInsideCreateLeavesNoWal) {
  for (int k = 0; k <= 2; ++k) {
    SCOPED_TRACE(k);
    fenv_.FailNextSync(/*after=*/k);
    EXPECT_FALSE(Wal::Create(&fenv_, dir_, "meta", kSmall).ok());
    ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
    EXPECT_FALSE(Wal::Exists(&fenv_, dir_));
  }
  auto w = Wal::Create(&fenv_, dir_, "meta", kSmall);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Save({}, {Ent(1, 1)}).ok());
  Crash(std::move(*w));
  EXPECT_EQ(Recover()->entries.size(), 1u);
}

// A process crash keeps the page cache: a batch written but never synced (its sync failed, so
// Close does not sync either) is still there when the member restarts, and ReadAll returns it.
// The restarted member acts on what ReadAll returned (it may acknowledge those entries), so a
// power loss after that must not take them away: ReadAll makes what it returns durable.
TEST_F(WalFaultTest, UnsyncedTailReadAfterAProcessCrashSurvivesAPowerLoss) {
  auto w = Wal::Create(&fenv_, dir_, "meta", kSmall);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Save({1, 1, 1}, {Ent(1, 1)}).ok());
  fenv_.FailNextSync();
  EXPECT_FALSE((*w)->Save({1, 1, 2}, {Ent(2, 1)}).ok());  // written, never synced
  w->reset();                                             // the process dies; no sync

  std::unique_ptr<Wal> r;
  auto first = Recover(&r);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->entries.size(), 2u);        // entry 2 comes from the page cache
  ASSERT_TRUE(fenv_.DropUnsyncedData().ok());  // the power fails while the member runs
  r.reset();
  auto second = Recover();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->entries, first->entries);
  EXPECT_EQ(second->state, first->state);
}

// The same for a segment whose rename was never made durable (the cut's directory sync failed):
// after the restart ReadAll appends to it, so its name must survive a power loss.
TEST_F(WalFaultTest, UnsyncedSegmentRenameReadAfterAProcessCrashSurvivesAPowerLoss) {
  auto w = Wal::Create(&fenv_, dir_, "meta", kSmall);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Save({1, 1, 0}, Ents(1, 3, 1)).ok());
  fenv_.FailNextSync(/*after=*/3);  // the batch, the old tail and the new segment sync; not the dir
  EXPECT_FALSE((*w)->Save({}, {Ent(4, 1, std::string(1200, 'c'))}).ok());
  w->reset();

  std::unique_ptr<Wal> r;
  auto first = Recover(&r);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(r->SegmentNamesForTest().size(), 2u);
  ASSERT_TRUE(r->Save({1, 1, 4}, {Ent(5, 1)}).ok());  // acknowledged
  ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
  r.reset();
  auto second = Recover();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->entries.size(), 5u);
}

// The same for the WAL directory itself (Create's final parent-directory sync failed).
TEST_F(WalFaultTest, UnsyncedCreateReadAfterAProcessCrashSurvivesAPowerLoss) {
  fenv_.FailNextSync(/*after=*/2);  // the segment and the temporary dir sync; not the parent
  ASSERT_FALSE(Wal::Create(&fenv_, dir_, "meta", kSmall).ok());
  ASSERT_TRUE(Wal::Exists(&fenv_, dir_));  // in the page cache only

  std::unique_ptr<Wal> r;
  ASSERT_TRUE(Recover(&r).ok());
  ASSERT_TRUE(r->Save({1, 1, 1}, {Ent(1, 1)}).ok());  // acknowledged
  ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
  r.reset();
  auto c = Recover();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->entries.size(), 1u);
}

// Random batches (with suffix overwrites, hard states and snapshot-free cuts) until an injected
// write or sync failure, then a crash: the recovered log is exactly what was acknowledged, plus
// possibly the failed batch when its failure came after its own sync (inside a cut).
TEST_F(WalFaultTest, RandomCrashesKeepAcknowledgedData) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 25; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(env_->RemoveAll(dir_).ok());
    auto created = Wal::Create(&fenv_, dir_, "meta", kSmall);
    ASSERT_TRUE(created.ok()) << created.status();
    std::unique_ptr<Wal> w = std::move(*created);
    std::vector<raft::Entry> acked;
    raft::HardState acked_state;
    int fail_at = static_cast<int>(rng() % 30);
    for (int batch_no = 0;; ++batch_no) {
      uint64_t next = acked.size() + 1;
      if (next > 3 && rng() % 5 == 0) next -= rng() % 3;  // overwrite a suffix
      uint64_t term = 1 + static_cast<uint64_t>(batch_no) / 4;
      std::vector<raft::Entry> batch;
      for (uint64_t n = rng() % 4, i = 0; i < n; ++i) {
        batch.push_back(Ent(next + i, term, std::string(10 + rng() % 300, 'a' + rng() % 26)));
      }
      raft::HardState st;
      if (rng() % 2 == 0) st = {term, 1, acked.size()};
      if (batch_no == fail_at) {
        if (rng() % 2 == 0) {
          fenv_.FailNextWrite(static_cast<int>(rng() % 3));
        } else {
          fenv_.FailNextSync(static_cast<int>(rng() % 3));
        }
      }
      absl::Status s = w->Save(st, batch);
      if (!s.ok()) {
        std::vector<raft::Entry> with_batch = acked;
        ApplyBatch(&with_batch, batch);
        Crash(std::move(w));
        auto c = Recover();
        ASSERT_TRUE(c.ok()) << c.status();
        EXPECT_TRUE(c->entries == acked || c->entries == with_batch)
            << "recovered " << c->entries.size() << " acked " << acked.size();
        if (c->entries == acked && !(c->entries == with_batch)) {
          EXPECT_EQ(c->state, acked_state);
        }
        break;
      }
      ApplyBatch(&acked, batch);
      if (!st.IsEmpty()) acked_state = st;
      ASSERT_LT(batch_no, 100) << "the armed failure never fired";
    }
  }
}

}  // namespace
}  // namespace etcdpp::wal
