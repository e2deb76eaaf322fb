#include "server/v2store/event.h"

#include "gtest/gtest.h"
#include "server/v2store/test_util.h"

namespace etcdpp::server::v2store {
namespace {

TEST(GoRfc3339NanoTest, DropsTrailingZerosAsGo) {
  EXPECT_EQ(GoRfc3339Nano(At("2026-12-07T04:05:40.79002516Z")), "2026-12-07T04:05:40.79002516Z");
  EXPECT_EQ(GoRfc3339Nano(At("2026-12-07T04:05:40.500Z")), "2026-12-07T04:05:40.5Z");
  EXPECT_EQ(GoRfc3339Nano(At("2026-12-07T04:05:40Z")), "2026-12-07T04:05:40Z");
  EXPECT_EQ(GoRfc3339Nano(At("2026-12-07T06:05:40.000000001+02:00")),
            "2026-12-07T04:05:40.000000001Z");
}

TEST(TtlSecondsTest, RoundsUpWhileLiveAndTowardZeroOncePast) {
  absl::Time t = At("2026-12-07T04:00:00Z");
  EXPECT_EQ(TtlSeconds(t + absl::Seconds(100), t), 100);
  EXPECT_EQ(TtlSeconds(t + absl::Milliseconds(99001), t), 100);
  EXPECT_EQ(TtlSeconds(t + absl::Nanoseconds(1), t), 1);
  EXPECT_EQ(TtlSeconds(t, t), 0);
  EXPECT_EQ(TtlSeconds(t - absl::Milliseconds(500), t), 0);
  EXPECT_EQ(TtlSeconds(t - absl::Milliseconds(1500), t), -1);
}

TEST(NodeJsonTest, OmitsZeroFieldsAsGo) {
  // The root as etcd 3.4.23 answers GET /v2/keys on an empty store: its key ("/1", stripped
  // by the HTTP layer) and indexes are empty, so only "dir" is left.
  EXPECT_EQ(EventToJson(Event{.action = "get", .node = NodeExtern{.dir = true}}),
            R"({"action":"get","node":{"dir":true}})");
  NodeExtern n{.key = "/k", .value = "", .ttl = -2, .modified_index = 3};
  EXPECT_EQ(NodeToJson(n), R"({"key":"/k","value":"","ttl":-2,"modifiedIndex":3})");
  EXPECT_EQ(NodeToJson(NodeExtern{}), "{}");
}

TEST(NodeJsonTest, RefreshIsNotWritten) {
  Event e{.action = "set", .node = NodeExtern{.key = "/a"}, .refresh = true};
  EXPECT_EQ(EventToJson(e), R"({"action":"set","node":{"key":"/a"}})");
}

}  // namespace
}  // namespace etcdpp::server::v2store
