#include "watch/watchable_store.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mvcc/txn.h"
#include "watch/test_util.h"
#include "watch/watch_stream.h"

namespace etcdpp::watch {
namespace {

class WatchableStoreTest : public WatchStoreTestBase {
 protected:
  WatchId Watch(WatchStream* s, std::string key, std::string end, int64_t start,
                bool from_key = false) {
    WatchOptions o;
    o.range = KeyRange{std::move(key), std::move(end), from_key};
    o.start_rev = start;
    auto id = s->Watch(o);
    EXPECT_TRUE(id.ok()) << id.status();
    return *id;
  }
  // Drains s until `want` events arrived (at most ~10 s of polling); returns the (key,
  // revision) of every event, and the control answers count in *controls.
  std::vector<std::pair<std::string, int64_t>> Drain(WatchStream* s, size_t want,
                                                     int* controls = nullptr) {
    std::vector<std::pair<std::string, int64_t>> got;
    for (int i = 0; i < 10000 && got.size() < want; ++i) {
      std::optional<Response> r = s->Next();
      if (!r) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (r->control && controls != nullptr) ++*controls;
      for (const EventPtr& ev : r->events)
        got.emplace_back(ev->kv().key(), ev->kv().mod_revision());
    }
    return got;
  }
};

TEST_F(WatchableStoreTest, SyncedWatcherGetsMatchingEventsInOrder) {
  WatchStream* s = NewStream();
  Watch(s, "foo", "", 0);
  Watch(s, "p/", "p0", 0);
  Put("foo", "1");  // 2
  Put("bar", "x");  // 3
  Put("p/a", "2");  // 4
  Delete("foo");    // 5
  int controls = 0;
  auto got = Drain(s, 3, &controls);
  EXPECT_EQ(controls, 2);  // the two created answers come first
  std::vector<std::pair<std::string, int64_t>> want = {{"foo", 2}, {"p/a", 4}, {"foo", 5}};
  EXPECT_EQ(got, want);
}

TEST_F(WatchableStoreTest, DeleteEventCarriesKeyAndRevision) {
  WatchStream* s = NewStream();
  Put("k", "v");
  Watch(s, "k", "", 0);
  Delete("k");
  ASSERT_TRUE(s->Next().has_value());  // created
  std::optional<Response> r = s->Next();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0]->type(), mvccpb::Event::DELETE);
  EXPECT_EQ(r->events[0]->kv().key(), "k");
  EXPECT_EQ(r->events[0]->kv().mod_revision(), 3);
  EXPECT_EQ(r->revision, 3);
}

TEST_F(WatchableStoreTest, FiltersDropEvents) {
  WatchStream* s = NewStream();
  WatchOptions o;
  o.range = KeyRange{"k", "", false};
  o.no_put = true;
  ASSERT_TRUE(s->Watch(o).ok());
  Put("k", "1");
  Delete("k");
  auto got = Drain(s, 1);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int64_t>>{{"k", 3}}));
}

TEST_F(WatchableStoreTest, CatchUpFromHistoryThenLiveWithoutGapOrDuplicate) {
  const int kBefore = 2500;  // more than two history batches
  for (int i = 0; i < kBefore; ++i) Put(absl::StrCat("k", i % 7), absl::StrCat(i));
  WatchStream* s = NewStream();
  Watch(s, "k", "l", 2);
  // Writes go on while the watcher catches up.
  std::thread writer([&] {
    for (int i = 0; i < 500; ++i) Put(absl::StrCat("k", i % 7), "live");
  });
  const size_t total = kBefore + 500;
  std::vector<std::pair<std::string, int64_t>> got;
  for (int i = 0; i < 20000 && got.size() < total; ++i) {
    auto part = Drain(s, 1);
    got.insert(got.end(), part.begin(), part.end());
  }
  writer.join();
  auto rest = Drain(s, total - got.size());
  got.insert(got.end(), rest.begin(), rest.end());
  ASSERT_EQ(got.size(), total);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].second, static_cast<int64_t>(i) + 2);
  auto c = ws_->GetCounts();
  EXPECT_EQ(c.synced, 1u);
  EXPECT_EQ(c.unsynced, 0u);
}

TEST_F(WatchableStoreTest, CompactedStartRevisionGetsCompactRevision) {
  for (int i = 0; i < 10; ++i) Put("a", absl::StrCat(i));  // revisions 2..11
  auto wait = store_->Compact(6, 0);
  ASSERT_TRUE(wait.ok());
  (*wait)();
  WatchStream* s = NewStream();
  WatchId id = Watch(s, "a", "", 3);
  std::optional<Response> r;
  for (int i = 0; i < 10000; ++i) {
    r = s->Next();
    if (r && !r->control) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->watch_id, id);
  EXPECT_EQ(r->compact_revision, 6);
  EXPECT_TRUE(r->events.empty());
  EXPECT_EQ(ws_->GetCounts().unsynced, 0u);
  EXPECT_TRUE(s->Cancel(id).ok());
}

TEST_F(WatchableStoreTest, FutureStartRevisionWaits) {
  WatchStream* s = NewStream();
  Watch(s, "a", "", 5);
  for (int i = 0; i < 6; ++i) Put("a", "x");  // revisions 2..7
  auto got = Drain(s, 3);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int64_t>>{{"a", 5}, {"a", 6}, {"a", 7}}));
}

TEST_F(WatchableStoreTest, StalledStreamBecomesVictimAndRecoversWithoutGap) {
  WatchStream* slow = NewStream();
  WatchStream* fast = NewStream();
  Watch(slow, "k", "", 0);
  Watch(fast, "k", "", 0);
  const int kPuts = 3 * static_cast<int>(WatchStream::kMaxBufferedEvents);
  std::vector<std::pair<std::string, int64_t>> fast_got;
  for (int i = 0; i < kPuts; ++i) {
    Put("k", absl::StrCat(i));  // never blocks on the stalled stream
    auto part = Drain(fast, 1);
    fast_got.insert(fast_got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(fast_got.size(), static_cast<size_t>(kPuts));
  EXPECT_EQ(ws_->GetCounts().victims, 1u);
  auto got = Drain(slow, kPuts);
  ASSERT_EQ(got.size(), static_cast<size_t>(kPuts));
  for (int i = 0; i < kPuts; ++i) EXPECT_EQ(got[i].second, i + 2);
}

TEST_F(WatchableStoreTest, WatchErrorsAndCancel) {
  WatchStream* s = NewStream();
  WatchOptions o;
  o.range = KeyRange{"b", "a", false};
  EXPECT_EQ(s->Watch(o).status().message(), "mvcc: watcher range is empty");
  o.range = KeyRange{"a", "", false};
  o.id = 7;
  EXPECT_EQ(*s->Watch(o), 7);
  EXPECT_EQ(s->Watch(o).status().message(), "mvcc: duplicate watch ID provided on the WatchStream");
  o.id = kAutoWatchId;
  EXPECT_EQ(*s->Watch(o), 0);
  EXPECT_EQ(*s->Watch(o), 1);
  EXPECT_TRUE(s->Cancel(7).ok());
  EXPECT_EQ(s->Cancel(7).message(), "mvcc: watcher does not exist");
  EXPECT_EQ(ws_->GetCounts().synced, 2u);
}

// etcd 3.5's progress semantics, with the sync rounds driven by hand.
class WatchProgressTest : public WatchableStoreTest {
 protected:
  StoreOptions StoreOptionsForTest() const override {
    StoreOptions o = WatchableStoreTest::StoreOptionsForTest();
    o.manual_sync = true;
    return o;
  }
  // Every answer queued on s now: (watch id, revision, number of events, control).
  struct Seen {
    WatchId id;
    int64_t rev;
    size_t events;
  };
  std::vector<Seen> Take(WatchStream* s) {
    std::vector<Seen> out;
    while (std::optional<Response> r = s->Next()) {
      out.push_back(Seen{r->watch_id, r->revision, r->events.size()});
    }
    return out;
  }
};

TEST_F(WatchProgressTest, AnsweredAtOnceWhenEveryWatcherIsSynced) {
  WatchStream* s = NewStream();
  Watch(s, "a", "", 0);
  Put("a", "1");  // 2
  Put("b", "1");  // 3
  s->RequestProgress();
  std::vector<Seen> seen = Take(s);
  ASSERT_EQ(seen.size(), 3u);  // created, the event at 2, the progress answer
  EXPECT_EQ(seen[1].events, 1u);
  EXPECT_EQ(seen[2].id, kInvalidWatchId);
  EXPECT_EQ(seen[2].rev, 3);
  EXPECT_EQ(seen[2].events, 0u);
}

TEST_F(WatchProgressTest, WaitsForACatchingUpWatcherAndFollowsItsEvents) {
  for (int i = 0; i < 5; ++i) Put("old", "x");  // 2..6
  WatchStream* s = NewStream();
  Watch(s, "live", "", 0);
  Watch(s, "old", "", 2);  // unsynced: owes revisions 2..6
  Put("live", "y");        // 7
  s->RequestProgress();
  s->RequestProgress();  // one answer covers both
  std::vector<Seen> before = Take(s);
  ASSERT_EQ(before.size(), 3u);  // two created answers, the live event; no progress yet
  EXPECT_NE(before[2].id, kInvalidWatchId);
  ws_->SyncForTest();
  std::vector<Seen> after = Take(s);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].id, 1);  // the catching-up watcher's events first
  EXPECT_EQ(after[0].events, 5u);
  EXPECT_EQ(after[1].id, kInvalidWatchId);
  EXPECT_EQ(after[1].rev, 7);
  ws_->SyncForTest();
  EXPECT_TRUE(Take(s).empty());
}

TEST_F(WatchProgressTest, AStreamWithoutWatchersGetsNoAnswer) {
  WatchStream* s = NewStream();
  s->RequestProgress();
  EXPECT_TRUE(Take(s).empty());
}

TEST_F(WatchProgressTest, AFutureStartHoldsTheAnswerUntilTheStoreReachesIt) {
  WatchStream* s = NewStream();
  Watch(s, "a", "", 4);  // the store is at 1
  ASSERT_EQ(Take(s).size(), 1u);
  s->RequestProgress();
  Put("b", "1");  // 2
  EXPECT_TRUE(Take(s).empty());
  Put("b", "2");  // 3: the watcher starts one past: nothing is owed at or below 3
  std::vector<Seen> seen = Take(s);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id, kInvalidWatchId);
  EXPECT_EQ(seen[0].rev, 3);
}

TEST_F(WatchProgressTest, CancellingTheWatcherThatHeldItBackAnswers) {
  for (int i = 0; i < 3; ++i) Put("old", "x");  // 2..4
  WatchStream* s = NewStream();
  Watch(s, "live", "", 0);
  WatchId old = Watch(s, "old", "", 2);
  s->RequestProgress();
  ASSERT_EQ(Take(s).size(), 2u);
  ASSERT_TRUE(s->Cancel(old).ok());
  std::vector<Seen> seen = Take(s);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id, kInvalidWatchId);
  EXPECT_EQ(seen[0].rev, 4);
}

}  // namespace
}  // namespace etcdpp::watch
