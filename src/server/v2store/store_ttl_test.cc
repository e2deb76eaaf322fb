// Expiry driven by the caller's clock: nothing expires until DeleteExpiredKeys(now) says so.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/v2store/store.h"
#include "server/v2store/test_util.h"

namespace etcdpp::server::v2store {
namespace {

class StoreTtlTest : public ::testing::Test {
 protected:
  TtlOptions In(int seconds) { return {.expire_time = t0_ + absl::Seconds(seconds)}; }
  std::vector<std::string> Drain(Watcher& w) {
    std::vector<std::string> out;
    while (std::optional<Event> e = w.Next()) {
      out.push_back(absl::StrCat(e->action, " ", e->node->key, " ", e->index()));
    }
    return out;
  }
  absl::Time t0_ = At("2026-12-07T04:00:00Z");
  Store st_;
};

using Strings = std::vector<std::string>;

TEST_F(StoreTtlTest, KeysExpireInExpiryOrderEachAtItsOwnIndex) {
  ASSERT_TRUE(st_.Set("/b", false, "1", In(20), t0_).ok());
  ASSERT_TRUE(st_.Set("/a", false, "1", In(10), t0_).ok());
  ASSERT_TRUE(st_.Set("/c", false, "1", In(20), t0_).ok());
  ASSERT_TRUE(st_.Set("/p", false, "1", {}, t0_).ok());
  auto w = st_.Watch("/", true, true, 0);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(st_.HasTtlKeys());
  st_.DeleteExpiredKeys(t0_ + absl::Seconds(9));
  EXPECT_EQ(st_.index(), 4u);
  EXPECT_EQ(st_.Get("/a", false, false, t0_ + absl::Seconds(9))->node->ttl, 1);
  st_.DeleteExpiredKeys(t0_ + absl::Seconds(30));
  // Equal expiry times go in path order (a fixed order, the same on every member).
  EXPECT_EQ(Drain(*w.value()), Strings({"expire /a 5", "expire /b 6", "expire /c 7"}));
  EXPECT_FALSE(st_.HasTtlKeys());
  EXPECT_TRUE(st_.Get("/p", false, false, t0_).ok());
  EXPECT_EQ(st_.stats().expire_count, 3u);
}

TEST_F(StoreTtlTest, AnExpiredDirectoryTakesItsChildrenAndTellsTheirWatchers) {
  ASSERT_TRUE(st_.Set("/d", true, "", In(5), t0_).ok());
  ASSERT_TRUE(st_.Set("/d/k", false, "v", In(50), t0_).ok());
  auto w = st_.Watch("/d/k", false, false, 0);
  ASSERT_TRUE(w.ok());
  st_.DeleteExpiredKeys(t0_ + absl::Seconds(5));
  std::optional<Event> e = w.value()->Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(
      EventToJson(*e),
      R"({"action":"expire","node":{"key":"/d","dir":true,"modifiedIndex":3,"createdIndex":1},"prevNode":{"key":"/d","dir":true,"expiration":"2026-12-07T04:00:05Z","modifiedIndex":1,"createdIndex":1}})");
  EXPECT_FALSE(st_.HasTtlKeys());  // /d/k left with its directory
  st_.DeleteExpiredKeys(t0_ + absl::Seconds(100));
  EXPECT_EQ(st_.index(), 3u);
}

TEST_F(StoreTtlTest, UpdatesMoveAndDropExpiry) {
  ASSERT_TRUE(st_.Set("/k", false, "v", In(10), t0_).ok());
  ASSERT_TRUE(st_.Update("/k", "w", In(100), t0_).ok());
  st_.DeleteExpiredKeys(t0_ + absl::Seconds(50));
  EXPECT_EQ(st_.Get("/k", false, false, t0_)->node->value, "w");
  Result<Event> e = st_.Update("/k", "x", {}, t0_);  // no expiry: permanent again
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->node->expiration.has_value());
  EXPECT_FALSE(st_.HasTtlKeys());
  ASSERT_TRUE(st_.CompareAndSwap("/k", "x", 0, "y", In(1), t0_).ok());
  EXPECT_TRUE(st_.HasTtlKeys());
  // Set replaces the node, and with it its expiry.
  ASSERT_TRUE(st_.Set("/k", false, "z", {}, t0_).ok());
  EXPECT_FALSE(st_.HasTtlKeys());
}

TEST_F(StoreTtlTest, ExpiryBefore2000MeansPermanentOnCreate) {
  TtlOptions old{.expire_time = At("1999-12-31T23:59:59Z")};
  Result<Event> e = st_.Set("/k", false, "v", old, t0_);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->node->expiration.has_value());
  EXPECT_FALSE(st_.HasTtlKeys());
}

TEST_F(StoreTtlTest, TtlIsShownAsSeenAtNow) {
  ASSERT_TRUE(st_.Set("/k", false, "v", In(10), t0_).ok());
  EXPECT_EQ(st_.Get("/k", false, false, t0_ + absl::Milliseconds(500))->node->ttl, 10);
  EXPECT_EQ(st_.Get("/k", false, false, t0_ + absl::Seconds(9))->node->ttl, 1);
  // Past its expiry but not yet expired by DeleteExpiredKeys: still there, TTL 0 then negative.
  EXPECT_EQ(st_.Get("/k", false, false, t0_ + absl::Seconds(10))->node->ttl, 0);
  EXPECT_EQ(st_.Get("/k", false, false, t0_ + absl::Seconds(12))->node->ttl, -2);
}

}  // namespace
}  // namespace etcdpp::server::v2store
