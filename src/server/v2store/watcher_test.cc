#include "server/v2store/watcher.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "server/v2store/store.h"
#include "server/v2store/test_util.h"

namespace etcdpp::server::v2store {
namespace {

class WatchTest : public ::testing::Test {
 protected:
  std::unique_ptr<Watcher> Watch(std::string_view key, bool recursive, bool stream,
                                 uint64_t since = 0) {
    Result<std::unique_ptr<Watcher>> w = st_.Watch(key, recursive, stream, since);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().ToJson());
    return w.ok() ? std::move(w).value() : nullptr;
  }
  // The actions and keys queued at `w`, drained.
  static std::vector<std::string> Drain(Watcher& w) {
    std::vector<std::string> out;
    while (std::optional<Event> e = w.Next()) out.push_back(e->action + " " + e->node->key);
    return out;
  }
  void Put(std::string_view key, std::string_view value = "v") {
    ASSERT_TRUE(st_.Set(key, false, value, {}, now_).ok());
  }

  absl::Time now_ = At("2026-12-07T04:00:00Z");
  Store st_;
};

using Strings = std::vector<std::string>;

TEST_F(WatchTest, OneShotGetsOneEventAndLeaves) {
  auto w = Watch("/a", false, false);
  EXPECT_NE(st_.StatsJson().find("\"watchers\":1}"), std::string::npos);
  Put("/a");
  Put("/a");
  EXPECT_EQ(Drain(*w), Strings({"set /a"}));
  EXPECT_TRUE(w->closed());
  EXPECT_EQ(w->start_index(), 0u);
  EXPECT_NE(st_.StatsJson().find("\"watchers\":0}"), std::string::npos);
}

TEST_F(WatchTest, StreamStaysAndGetsEachEvent) {
  auto w = Watch("/a", false, true);
  Put("/a");
  Put("/b");
  Put("/a");
  EXPECT_EQ(Drain(*w), Strings({"set /a", "set /a"}));
  EXPECT_FALSE(w->closed());
  w->Remove();
  EXPECT_TRUE(w->closed());
  Put("/a");
  EXPECT_FALSE(w->has_events());
}

TEST_F(WatchTest, RecursiveSeesBelowButNotHiddenNames) {
  auto rec = Watch("/d", true, true);
  auto flat = Watch("/d", false, true);
  Put("/d/x");
  Put("/d/_h");
  Put("/d/e/_h/y");
  Put("/dx");
  EXPECT_EQ(Drain(*rec), Strings({"set /d/x"}));
  EXPECT_TRUE(Drain(*flat).empty());
  // A watcher of the hidden key itself is told.
  auto hidden = Watch("/d/_h", false, false);
  Put("/d/_h");
  EXPECT_EQ(Drain(*hidden), Strings({"set /d/_h"}));
}

TEST_F(WatchTest, DeletingADirectoryTellsWatchersBelowIt) {
  Put("/d/a/b");
  auto below = Watch("/d/a/b", false, false);
  auto stream = Watch("/d/a/b", false, true);
  ASSERT_TRUE(st_.Delete("/d", false, true, now_).ok());
  EXPECT_EQ(Drain(*below), Strings({"delete /d"}));
  EXPECT_EQ(Drain(*stream), Strings({"delete /d"}));
}

// etcd 3.4.23 sent the deletion twice to `curl '/v2/keys/s?wait=true&stream=true'` and once to
// a recursive stream on the root: once as a removed path, once as the event's own key.
TEST_F(WatchTest, StreamOnADeletedKeyGetsTheDeletionTwiceAsEtcd) {
  Put("/s");
  auto key = Watch("/s", false, true);
  auto root = Watch("/", true, true);
  ASSERT_TRUE(st_.Delete("/s", false, false, now_).ok());
  EXPECT_EQ(Drain(*key), Strings({"delete /s", "delete /s"}));
  EXPECT_EQ(Drain(*root), Strings({"delete /s"}));
}

TEST_F(WatchTest, RefreshesAreNotSentNorFoundInHistory) {
  Put("/a");
  auto w = Watch("/a", false, true);
  TtlOptions refresh{.expire_time = now_ + absl::Seconds(10), .refresh = true};
  ASSERT_TRUE(st_.Set("/a", false, "", refresh, now_).ok());
  ASSERT_TRUE(st_.Update("/a", "", refresh, now_).ok());
  ASSERT_TRUE(st_.CompareAndSwap("/a", "v", 0, "", refresh, now_).ok());
  EXPECT_FALSE(w->has_events());
  auto past = Watch("/a", false, false, 2);
  EXPECT_FALSE(past->has_events());  // waits: indexes 2..4 are refreshes
  Put("/a");
  EXPECT_EQ(Drain(*past), Strings({"set /a"}));
}

TEST_F(WatchTest, SinceIndexInHistoryAnswersAtOnceWithTheCurrentIndex) {
  Put("/a", "1");
  Put("/b", "2");
  Put("/a", "3");
  Result<std::unique_ptr<Watcher>> w = st_.Watch("/a", false, true, 2);
  ASSERT_TRUE(w.ok());
  std::optional<Event> e = w.value()->Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->node->modified_index, 3u);
  EXPECT_EQ(e->etcd_index, 3u);
  EXPECT_EQ(w.value()->start_index(), 3u);
  EXPECT_TRUE(w.value()->closed());  // answered from history: never registered (as etcd)
  auto future = Watch("/a", false, false, 10);
  Put("/a");  // index 4: before the watcher's index
  EXPECT_FALSE(future->has_events());
}

// etcd 3.4.23 answered `GET /v2/keys/pdx?wait=true&waitIndex=N` with the deletion of /pd: the
// history scan matches a deleted directory by string prefix.
TEST_F(WatchTest, HistoryMatchesDeletedDirectoriesByStringPrefixAsEtcd) {
  Put("/pd/a");
  ASSERT_TRUE(st_.Delete("/pd", false, true, now_).ok());
  auto w = Watch("/pdx", false, false, 1);
  EXPECT_EQ(Drain(*w), Strings({"delete /pd"}));
  // A watcher waiting on /pdx is not told (it was not removed).
  Put("/pd/a");
  auto live = Watch("/pdx", false, false);
  ASSERT_TRUE(st_.Delete("/pd", false, true, now_).ok());
  EXPECT_FALSE(live->has_events());
}

TEST_F(WatchTest, HistoryHoldsTheLastThousandEvents) {
  for (int i = 0; i < 1000; ++i) Put("/k");
  EXPECT_TRUE(st_.Watch("/k", false, false, 1).ok());
  Put("/k");
  Result<std::unique_ptr<Watcher>> w = st_.Watch("/k", false, false, 1);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, kEcodeEventIndexCleared);
  EXPECT_EQ(w.error().cause, "the requested history has been cleared [2/1]");
  EXPECT_EQ(w.error().index, 1001u);
  EXPECT_TRUE(st_.Watch("/k", false, false, 2).ok());
}

TEST_F(WatchTest, AWatcherThatCannotKeepUpIsDropped) {
  auto w = Watch("/a", false, true);
  for (size_t i = 0; i < kWatcherQueueCapacity + 1; ++i) Put("/a");
  EXPECT_TRUE(w->closed());
  EXPECT_EQ(Drain(*w).size(), kWatcherQueueCapacity);
  EXPECT_NE(st_.StatsJson().find("\"watchers\":0}"), std::string::npos);
}

TEST_F(WatchTest, WatchersOutliveTheirStore) {
  auto store = std::make_unique<Store>();
  Result<std::unique_ptr<Watcher>> w = store->Watch("/a", false, true, 0);
  ASSERT_TRUE(w.ok());
  store.reset();
  EXPECT_TRUE(w.value()->closed());
}

}  // namespace
}  // namespace etcdpp::server::v2store
