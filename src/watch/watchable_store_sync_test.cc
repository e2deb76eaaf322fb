// Deterministic tests of the watchable store's sync rounds: no sync thread, the test runs each
// round, so orderings that are races in production become plain sequences.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mvcc/txn.h"
#include "watch/test_util.h"

namespace etcdpp::watch {
namespace {

// A store whose sync rounds run only when the test asks (no sync thread): races become
// sequences.
class ManualSyncStoreTest : public WatchStoreTestBase {
 protected:
  StoreOptions StoreOptionsForTest() const override {
    StoreOptions o;
    o.manual_sync = true;
    return o;
  }
  // Every (watch id, revision) queued on s so far, control answers skipped.
  static std::vector<std::pair<WatchId, int64_t>> Take(WatchStream* s) {
    std::vector<std::pair<WatchId, int64_t>> got;
    while (std::optional<Response> r = s->Next()) {
      for (const EventPtr& ev : r->events) got.emplace_back(r->watch_id, ev->kv().mod_revision());
    }
    return got;
  }
  // Sync rounds until nothing is unsynced (bounded); false if that never happened.
  bool SyncAll() {
    for (int i = 0; i < 100; ++i) {
      if (ws_->GetCounts().unsynced == 0) return true;
      ws_->SyncForTest();
    }
    return ws_->GetCounts().unsynced == 0;
  }
};

// Two unsynced watchers far apart: the first history read stops at EventBatch::kMaxBatchRevs
// revisions, below where the second one starts. The second must keep its own start, not move
// back to where the read stopped (it once did, and received events before its start revision
// -- duplicates for a victim that was catching up).
TEST_F(ManualSyncStoreTest, CutHistoryReadNeverMovesAWatcherBack) {
  const int kRevs = EventBatch::kMaxBatchRevs + 500;  // revisions 2 .. kRevs + 1
  for (int i = 0; i < kRevs; ++i) Put("k", absl::StrCat(i));
  const int64_t last = store_->Rev();
  const int64_t late_start = last - 100;  // above the first read's cut
  WatchStream* s = NewStream();
  WatchOptions o;
  o.range = KeyRange{"k", "", false};
  o.start_rev = 2;
  o.id = 1;
  ASSERT_TRUE(s->Watch(o).ok());
  o.start_rev = late_start;
  o.id = 2;
  ASSERT_TRUE(s->Watch(o).ok());
  ASSERT_EQ(ws_->GetCounts().unsynced, 2u);
  ASSERT_TRUE(SyncAll());

  std::vector<int64_t> early, late;
  for (const auto& [id, rev] : Take(s)) (id == 1 ? early : late).push_back(rev);
  ASSERT_EQ(early.size(), static_cast<size_t>(kRevs));
  for (size_t i = 0; i < early.size(); ++i) ASSERT_EQ(early[i], static_cast<int64_t>(i) + 2);
  ASSERT_EQ(late.size(), static_cast<size_t>(last - late_start + 1));
  for (size_t i = 0; i < late.size(); ++i) ASSERT_EQ(late[i], late_start + static_cast<int64_t>(i));
  EXPECT_EQ(ws_->GetCounts().synced, 2u);
}

}  // namespace
}  // namespace etcdpp::watch
