#include "watch/watcher_group.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace etcdpp::watch {
namespace {

std::vector<WatchId> Matching(const WatcherGroup& g, std::string_view key) {
  std::vector<WatchId> ids;
  g.ForEachMatching(key, [&](Watcher* w) { ids.push_back(w->id); });
  std::sort(ids.begin(), ids.end());
  return ids;
}

Watcher Make(WatchId id, std::string key, std::string end = "", bool from_key = false) {
  Watcher w;
  w.id = id;
  w.range = KeyRange{std::move(key), std::move(end), from_key};
  return w;
}

TEST(WatcherGroupTest, KeysRangesAndFromKey) {
  Watcher single = Make(1, "foo");
  Watcher single2 = Make(2, "foo");
  Watcher prefix = Make(3, "foo", "fop");
  Watcher from = Make(4, "g", "", true);
  Watcher other = Make(5, "bar");
  WatcherGroup g;
  for (Watcher* w : {&single, &single2, &prefix, &from, &other}) g.Add(w);
  EXPECT_EQ(g.size(), 5u);
  EXPECT_EQ(Matching(g, "foo"), (std::vector<WatchId>{1, 2, 3}));
  EXPECT_EQ(Matching(g, "foo1"), (std::vector<WatchId>{3}));
  EXPECT_EQ(Matching(g, "zzz"), (std::vector<WatchId>{4}));
  EXPECT_EQ(Matching(g, "bar"), (std::vector<WatchId>{5}));
  EXPECT_EQ(Matching(g, "baz"), (std::vector<WatchId>{}));

  EXPECT_TRUE(g.Delete(&single));
  EXPECT_FALSE(g.Delete(&single));
  EXPECT_TRUE(g.Delete(&prefix));
  EXPECT_EQ(Matching(g, "foo"), (std::vector<WatchId>{2}));
  EXPECT_FALSE(g.Contains(&prefix));
  EXPECT_TRUE(g.Contains(&from));
  EXPECT_EQ(g.Choose(2).size(), 2u);
}

TEST(EventBatchTest, StopsAtMaxRevisions) {
  EventBatch b;
  for (int64_t rev = 1; rev <= EventBatch::kMaxBatchRevs + 5; ++rev) {
    for (int sub = 0; sub < 2; ++sub) {
      auto ev = std::make_shared<mvccpb::Event>();
      ev->mutable_kv()->set_mod_revision(rev);
      b.Add(ev);
    }
  }
  EXPECT_EQ(b.revs, EventBatch::kMaxBatchRevs);
  EXPECT_EQ(b.events.size(), 2u * EventBatch::kMaxBatchRevs);
  EXPECT_EQ(b.more_rev, EventBatch::kMaxBatchRevs + 1);
}

}  // namespace
}  // namespace etcdpp::watch
