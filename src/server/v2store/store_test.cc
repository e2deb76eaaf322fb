#include "server/v2store/store.h"

#include <string>

#include "gtest/gtest.h"
#include "server/v2store/test_util.h"

namespace etcdpp::server::v2store {
namespace {

// A store as etcd's server has it: the namespaces "/0" (cluster) and "/1" (keys), and three
// writes of its own before any client's (so that client writes start at index 4, as below).
// Client keys go straight under the root here: etcd's HTTP layer stores "/foo" as "/1/foo" and
// strips "/1" from its answers, so the answers read the same.
class EtcdSessionTest : public ::testing::Test {
 protected:
  EtcdSessionTest() : st_({"/0", "/1"}) {
    absl::Time t = At("2026-12-07T04:03:00Z");
    EXPECT_TRUE(
        st_.Create("/0/members/8e9e05c52164694d/raftAttributes", false, "{}", false, {}, t).ok());
    EXPECT_TRUE(st_.Set("/0/members/8e9e05c52164694d/attributes", false, "{}", {}, t).ok());
    EXPECT_TRUE(st_.Set("/0/version", false, "3.4.0", {}, t).ok());
  }
  TtlOptions Ttl(absl::Time now, int seconds, bool refresh = false) {
    return TtlOptions{.expire_time = now + absl::Seconds(seconds), .refresh = refresh};
  }
  Store st_;
};

// Every expected string below is the body etcd 3.4.23 (--enable-v2) answered to the same
// request (curl against /v2/keys), in the same order, with expirations taken from its answers.
TEST_F(EtcdSessionTest, AnswersAsEtcdDoes) {
  absl::Time now = At("2026-12-07T04:04:00.79002516Z");
  EXPECT_EQ(
      Json(st_.Set("/foo", false, "bar", {}, now)),
      R"({"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}})");
  EXPECT_EQ(
      Json(st_.Set("/foo", false, "baz", {}, now)),
      R"({"action":"set","node":{"key":"/foo","value":"baz","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}})");
  EXPECT_EQ(
      Json(st_.Get("/foo", false, false, now)),
      R"({"action":"get","node":{"key":"/foo","value":"baz","modifiedIndex":5,"createdIndex":5}})");
  EXPECT_EQ(
      Json(st_.Set("/dir/a", false, "1", {}, now)),
      R"({"action":"set","node":{"key":"/dir/a","value":"1","modifiedIndex":6,"createdIndex":6}})");
  EXPECT_EQ(
      Json(st_.Set("/dir/_hidden", false, "h", {}, now)),
      R"({"action":"set","node":{"key":"/dir/_hidden","value":"h","modifiedIndex":7,"createdIndex":7}})");
  EXPECT_EQ(
      Json(st_.Set("/dir/b", false, "<", Ttl(now, 100), now)),
      R"({"action":"set","node":{"key":"/dir/b","value":"\u003c","expiration":"2026-12-07T04:05:40.79002516Z","ttl":100,"modifiedIndex":8,"createdIndex":8}})");
  now += absl::Milliseconds(10);
  const char* dir =
      R"({"action":"get","node":{"key":"/dir","dir":true,"nodes":[{"key":"/dir/a","value":"1","modifiedIndex":6,"createdIndex":6},{"key":"/dir/b","value":"\u003c","expiration":"2026-12-07T04:05:40.79002516Z","ttl":100,"modifiedIndex":8,"createdIndex":8}],"modifiedIndex":6,"createdIndex":6}})";
  EXPECT_EQ(Json(st_.Get("/dir", true, true, now)), dir);
  EXPECT_EQ(Json(st_.Get("/dir", false, false, now)), dir);
  EXPECT_EQ(
      Json(st_.Create("/queue", false, "job1", true, {}, now)),
      R"({"action":"create","node":{"key":"/queue/00000000000000000009","value":"job1","modifiedIndex":9,"createdIndex":9}})");
  EXPECT_EQ(
      Json(st_.Create("/queue", false, "job2", true, {}, now)),
      R"({"action":"create","node":{"key":"/queue/00000000000000000010","value":"job2","modifiedIndex":10,"createdIndex":10}})");
  EXPECT_EQ(
      Json(st_.Get("/queue", false, true, now)),
      R"({"action":"get","node":{"key":"/queue","dir":true,"nodes":[{"key":"/queue/00000000000000000009","value":"job1","modifiedIndex":9,"createdIndex":9},{"key":"/queue/00000000000000000010","value":"job2","modifiedIndex":10,"createdIndex":10}],"modifiedIndex":9,"createdIndex":9}})");

  // Refusals (the HTTP status etcd answered with is checked too).
  Result<Event> r = st_.Create("/foo", false, "x", false, {}, now);
  EXPECT_EQ(Json(r),
            R"({"errorCode":105,"message":"Key already exists","cause":"/foo","index":10})");
  EXPECT_EQ(r.error().HttpStatus(), 412);
  r = st_.Update("/new", "x", {}, now);
  EXPECT_EQ(Json(r), R"({"errorCode":100,"message":"Key not found","cause":"/new","index":10})");
  EXPECT_EQ(r.error().HttpStatus(), 404);
  EXPECT_EQ(Json(st_.CompareAndSwap("/foo", "nope", 0, "x", {}, now)),
            R"({"errorCode":101,"message":"Compare failed","cause":"[nope != baz]","index":10})");
  EXPECT_EQ(Json(st_.CompareAndSwap("/foo", "", 1, "x", {}, now)),
            R"({"errorCode":101,"message":"Compare failed","cause":"[1 != 5]","index":10})");
  EXPECT_EQ(
      Json(st_.CompareAndSwap("/foo", "nope", 1, "x", {}, now)),
      R"({"errorCode":101,"message":"Compare failed","cause":"[nope != baz] [1 != 5]","index":10})");
  EXPECT_EQ(
      Json(st_.CompareAndSwap("/foo", "baz", 0, "x", {}, now)),
      R"({"action":"compareAndSwap","node":{"key":"/foo","value":"x","modifiedIndex":11,"createdIndex":5},"prevNode":{"key":"/foo","value":"baz","modifiedIndex":5,"createdIndex":5}})");
  r = st_.Set("/foo/x", false, "x", {}, now);
  EXPECT_EQ(Json(r), R"({"errorCode":104,"message":"Not a directory","cause":"/foo","index":11})");
  EXPECT_EQ(r.error().HttpStatus(), 400);
  EXPECT_EQ(Json(st_.Get("/nokey", false, false, now)),
            R"({"errorCode":100,"message":"Key not found","cause":"/nokey","index":11})");
  r = st_.Delete("/dir", false, false, now);
  EXPECT_EQ(Json(r), R"({"errorCode":102,"message":"Not a file","cause":"/dir","index":11})");
  EXPECT_EQ(r.error().HttpStatus(), 403);
  r = st_.Delete("/dir", true, false, now);
  EXPECT_EQ(Json(r),
            R"({"errorCode":108,"message":"Directory not empty","cause":"/dir","index":11})");
  EXPECT_EQ(r.error().HttpStatus(), 403);
  EXPECT_EQ(Json(st_.CompareAndDelete("/foo", "zzz", 0, now)),
            R"({"errorCode":101,"message":"Compare failed","cause":"[zzz != x]","index":11})");
  EXPECT_EQ(Json(st_.CompareAndDelete("/foo", "", 2, now)),
            R"({"errorCode":101,"message":"Compare failed","cause":"[2 != 11]","index":11})");

  now = At("2026-12-07T04:04:07.083959834Z");
  EXPECT_EQ(
      Json(st_.CompareAndDelete("/foo", "x", 0, now)),
      R"({"action":"compareAndDelete","node":{"key":"/foo","modifiedIndex":12,"createdIndex":5},"prevNode":{"key":"/foo","value":"x","modifiedIndex":11,"createdIndex":5}})");
  std::string odd = "a<b>&c \"q\" \\ \xC3\xA9 \xF0\x9D\x84\x9E\x01\x08\x0c\x7f  \xE2\x80\xA8";
  std::string odd_json =
      "\"a\\u003cb\\u003e\\u0026c \\\"q\\\" \\\\ \xC3\xA9 \xF0\x9D\x84\x9E\\u0001\\u0008\\u000c\x7f"
      "  \\u2028\"";
  EXPECT_EQ(Json(st_.Create("/u", false, odd, false, {}, now)),
            R"({"action":"create","node":{"key":"/u","value":)" + odd_json +
                R"(,"modifiedIndex":13,"createdIndex":13}})");
  EXPECT_EQ(
      Json(st_.Update("/u", "v2", {}, now)),
      R"({"action":"update","node":{"key":"/u","value":"v2","modifiedIndex":14,"createdIndex":13},"prevNode":{"key":"/u","value":)" +
          odd_json + R"(,"modifiedIndex":13,"createdIndex":13}})");
  EXPECT_EQ(Json(st_.CompareAndDelete("/u", "", 13, now)),
            R"({"errorCode":101,"message":"Compare failed","cause":"[13 != 14]","index":14})");
  EXPECT_EQ(
      Json(st_.Set("/d1", true, "", Ttl(now, 50), now)),
      R"({"action":"set","node":{"key":"/d1","dir":true,"expiration":"2026-12-07T04:04:57.083959834Z","ttl":50,"modifiedIndex":15,"createdIndex":15}})");
  now = At("2026-12-07T04:04:07.097456022Z");
  EXPECT_EQ(
      Json(st_.Update("/d1", "", Ttl(now, 60), now)),
      R"({"action":"update","node":{"key":"/d1","dir":true,"expiration":"2026-12-07T04:05:07.097456022Z","ttl":60,"modifiedIndex":16,"createdIndex":15},"prevNode":{"key":"/d1","dir":true,"expiration":"2026-12-07T04:04:57.083959834Z","ttl":50,"modifiedIndex":15,"createdIndex":15}})");
  EXPECT_EQ(Json(st_.Update("/d1", "x", {}, now)),
            R"({"errorCode":102,"message":"Not a file","cause":"/d1","index":16})");
  EXPECT_EQ(
      Json(st_.Create("/d1/k", false, "1", false, {}, now)),
      R"({"action":"create","node":{"key":"/d1/k","value":"1","modifiedIndex":17,"createdIndex":17}})");
  now = At("2026-12-07T04:04:07.135038167Z");
  EXPECT_EQ(
      Json(st_.Set("/d1/k", false, "", Ttl(now, 30, true), now)),
      R"({"action":"set","node":{"key":"/d1/k","value":"1","expiration":"2026-12-07T04:04:37.135038167Z","ttl":30,"modifiedIndex":18,"createdIndex":18},"prevNode":{"key":"/d1/k","value":"1","modifiedIndex":17,"createdIndex":17}})");
  now = At("2026-12-07T04:04:07.150480303Z");
  EXPECT_EQ(
      Json(st_.CompareAndSwap("/d1/k", "1", 0, "", Ttl(now, 30, true), now)),
      R"({"action":"compareAndSwap","node":{"key":"/d1/k","value":"1","expiration":"2026-12-07T04:04:37.150480303Z","ttl":30,"modifiedIndex":19,"createdIndex":18},"prevNode":{"key":"/d1/k","value":"1","expiration":"2026-12-07T04:04:37.135038167Z","ttl":30,"modifiedIndex":18,"createdIndex":18}})");
  now = At("2026-12-07T04:04:07.165087369Z");
  EXPECT_EQ(
      Json(st_.Update("/d1/k", "", Ttl(now, 20, true), now)),
      R"({"action":"update","node":{"key":"/d1/k","value":"1","expiration":"2026-12-07T04:04:27.165087369Z","ttl":20,"modifiedIndex":20,"createdIndex":18},"prevNode":{"key":"/d1/k","value":"1","expiration":"2026-12-07T04:04:37.150480303Z","ttl":30,"modifiedIndex":19,"createdIndex":18}})");
  now += absl::Milliseconds(20);
  EXPECT_EQ(
      Json(st_.Update("/d1/k", "2", {}, now)),
      R"({"action":"update","node":{"key":"/d1/k","value":"2","modifiedIndex":21,"createdIndex":18},"prevNode":{"key":"/d1/k","value":"1","expiration":"2026-12-07T04:04:27.165087369Z","ttl":20,"modifiedIndex":20,"createdIndex":18}})");
  now = At("2026-12-07T04:04:07.212269106Z");
  EXPECT_EQ(
      Json(st_.Set("/d1/k", false, "3", Ttl(now, 0), now)),
      R"({"action":"set","node":{"key":"/d1/k","value":"3","expiration":"2026-12-07T04:04:07.212269106Z","modifiedIndex":22,"createdIndex":22},"prevNode":{"key":"/d1/k","value":"2","modifiedIndex":21,"createdIndex":18}})");
  now += absl::Milliseconds(20);
  EXPECT_EQ(
      Json(st_.Delete("/d1", false, true, now)),
      R"({"action":"delete","node":{"key":"/d1","dir":true,"modifiedIndex":23,"createdIndex":15},"prevNode":{"key":"/d1","dir":true,"expiration":"2026-12-07T04:05:07.097456022Z","ttl":60,"modifiedIndex":15,"createdIndex":15}})");
  EXPECT_EQ(Json(st_.Delete("/", false, true, now)),
            R"({"errorCode":107,"message":"Root is read only","cause":"/","index":23})");
  EXPECT_EQ(Json(st_.Set("/", false, "1", {}, now)),
            R"({"errorCode":107,"message":"Root is read only","cause":"/","index":23})");
  EXPECT_EQ(
      Json(st_.Set("/z", false, "", {}, now)),
      R"({"action":"set","node":{"key":"/z","value":"","modifiedIndex":24,"createdIndex":24}})");
  EXPECT_EQ(
      Json(st_.Get("/z", false, false, now)),
      R"({"action":"get","node":{"key":"/z","value":"","modifiedIndex":24,"createdIndex":24}})");
  EXPECT_EQ(
      Json(st_.Set("/e", true, "", {}, now)),
      R"({"action":"set","node":{"key":"/e","dir":true,"modifiedIndex":25,"createdIndex":25}})");
  EXPECT_EQ(
      Json(st_.Get("/e", false, false, now)),
      R"({"action":"get","node":{"key":"/e","dir":true,"modifiedIndex":25,"createdIndex":25}})");
  EXPECT_EQ(
      Json(st_.Delete("/e", true, false, now)),
      R"({"action":"delete","node":{"key":"/e","dir":true,"modifiedIndex":26,"createdIndex":25},"prevNode":{"key":"/e","dir":true,"modifiedIndex":25,"createdIndex":25}})");

  // Watches with a waitIndex answered from the history (refresh events are skipped; a watch
  // below a deleted directory gets its deletion).
  auto first = [&](std::string_view key, bool recursive, uint64_t index) {
    Result<std::unique_ptr<Watcher>> w = st_.Watch(key, recursive, false, index);
    EXPECT_TRUE(w.ok());
    std::optional<Event> e = w.ok() ? w.value()->Next() : std::nullopt;
    return e ? EventToJson(*e) : std::string("none");
  };
  EXPECT_EQ(
      first("/", true, 5),
      R"({"action":"set","node":{"key":"/foo","value":"baz","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}})");
  EXPECT_EQ(
      first("/d1/k", false, 20),
      R"({"action":"update","node":{"key":"/d1/k","value":"2","modifiedIndex":21,"createdIndex":18},"prevNode":{"key":"/d1/k","value":"1","expiration":"2026-12-07T04:04:27.165087369Z","ttl":20,"modifiedIndex":20,"createdIndex":18}})");
  EXPECT_EQ(
      first("/d1/k/zz", false, 20),
      R"({"action":"delete","node":{"key":"/d1","dir":true,"modifiedIndex":23,"createdIndex":15},"prevNode":{"key":"/d1","dir":true,"expiration":"2026-12-07T04:05:07.097456022Z","ttl":60,"modifiedIndex":15,"createdIndex":15}})");

  // /dir/b expires (index 27), then /x with a 1 s TTL is set and expires, watched.
  st_.DeleteExpiredKeys(At("2026-12-07T04:05:41Z"));
  EXPECT_EQ(Json(st_.Get("/dir/b", false, false, now)),
            R"({"errorCode":100,"message":"Key not found","cause":"/dir/b","index":27})");
  Result<std::unique_ptr<Watcher>> w1 = st_.Watch("/x", false, false, 0);
  ASSERT_TRUE(w1.ok());
  now = At("2026-12-07T04:14:22.512600603Z");
  const char* set_x =
      R"({"action":"set","node":{"key":"/x","value":"1","expiration":"2026-12-07T04:14:23.512600603Z","ttl":1,"modifiedIndex":28,"createdIndex":28}})";
  EXPECT_EQ(Json(st_.Set("/x", false, "1", Ttl(now, 1), now)), set_x);
  std::optional<Event> got = w1.value()->Next();
  ASSERT_TRUE(got);
  EXPECT_EQ(EventToJson(*got), set_x);
  Result<std::unique_ptr<Watcher>> w2 = st_.Watch("/x", false, false, 0);
  ASSERT_TRUE(w2.ok());
  st_.DeleteExpiredKeys(now + absl::Milliseconds(999));
  EXPECT_FALSE(w2.value()->has_events());
  st_.DeleteExpiredKeys(now + absl::Seconds(1));
  got = w2.value()->Next();
  ASSERT_TRUE(got);
  EXPECT_EQ(
      EventToJson(*got),
      R"({"action":"expire","node":{"key":"/x","modifiedIndex":29,"createdIndex":28},"prevNode":{"key":"/x","value":"1","expiration":"2026-12-07T04:14:23.512600603Z","modifiedIndex":28,"createdIndex":28}})");
  EXPECT_EQ(first("/x", false, 27), set_x);
  EXPECT_EQ(first("/x", false, 28), set_x);

  // 1010 more sets push index 5 out of the 1000-event history.
  for (int i = 1; i <= 1010; ++i) {
    ASSERT_TRUE(st_.Set("/h", false, std::to_string(i), {}, now).ok());
  }
  Result<std::unique_ptr<Watcher>> old = st_.Watch("/h", false, false, 5);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(
      old.error().ToJson(),
      R"({"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [40/5]","index":1039})");
  EXPECT_EQ(old.error().HttpStatus(), 400);
  EXPECT_EQ(st_.Watch("/h", false, false, 1).error().cause,
            "the requested history has been cleared [40/1]");

  // etcd then answered /v2/stats/store with
  // {"getsSuccess":7,"getsFail":1069,"setsSuccess":1023,"setsFail":2,"deleteSuccess":3,
  //  "deleteFail":2,"updateSuccess":5,"updateFail":1,"createSuccess":5,"createFail":1,
  //  "compareAndSwapSuccess":2,"compareAndSwapFail":3,"compareAndDeleteSuccess":4,
  //  "compareAndDeleteFail":0,"expireCount":2,"watchers":0}
  // where the gets also count the server's own reads; ours count the Gets above alone.
  EXPECT_EQ(
      st_.StatsJson(),
      R"({"getsSuccess":6,"getsFail":2,"setsSuccess":1023,"setsFail":2,"deleteSuccess":3,"deleteFail":2,"updateSuccess":5,"updateFail":1,"createSuccess":5,"createFail":1,"compareAndSwapSuccess":2,"compareAndSwapFail":3,"compareAndDeleteSuccess":4,"compareAndDeleteFail":0,"expireCount":2,"watchers":0})");
}

class StoreTest : public ::testing::Test {
 protected:
  absl::Time now_ = At("2026-12-07T04:00:00Z");
  Store st_{{"/0", "/1"}};
};

TEST_F(StoreTest, PathsAreCleanedAsGo) {
  EXPECT_EQ(CleanPath(""), "/");
  EXPECT_EQ(CleanPath("a//b/./c/.."), "/a/b");
  EXPECT_EQ(CleanPath("/../x/"), "/x");
  Result<Event> e = st_.Set("a/../b//c/", false, "v", {}, now_);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->node->key, "/b/c");
  // Get shows the path as given, as etcd's store does (its HTTP layer gives clean ones).
  EXPECT_EQ(st_.Get("b/c", false, false, now_)->node->key, "b/c");
}

TEST_F(StoreTest, NamespacesAndRootAreReadOnly) {
  for (const char* p : {"/", "/0", "/1/", "x/../1"}) {
    EXPECT_EQ(st_.Set(p, true, "", {}, now_).error().code, kEcodeRootROnly) << p;
    EXPECT_EQ(st_.Update(p, "", {}, now_).error().code, kEcodeRootROnly) << p;
    EXPECT_EQ(st_.CompareAndSwap(p, "a", 0, "b", {}, now_).error().code, kEcodeRootROnly) << p;
    EXPECT_EQ(st_.Delete(p, true, true, now_).error().code, kEcodeRootROnly) << p;
    EXPECT_EQ(st_.Create(p, true, "", false, {}, now_).error().code, kEcodeRootROnly) << p;
  }
  // CompareAndDelete has no such check: a directory is simply not a file.
  Result<Event> r = st_.CompareAndDelete("/", "", 0, now_);
  EXPECT_EQ(r.error().code, kEcodeNotFile);
  EXPECT_EQ(r.error().cause, "/");
  EXPECT_EQ(st_.index(), 0u);
  // Keys below a namespace are ordinary.
  EXPECT_TRUE(st_.Set("/1/k", false, "v", {}, now_).ok());
  EXPECT_EQ(st_.index(), 1u);
}

TEST_F(StoreTest, GetListsOneLevelUnlessRecursiveAndHidesHiddenNames) {
  ASSERT_TRUE(st_.Set("/d/b/c", false, "1", {}, now_).ok());
  ASSERT_TRUE(st_.Set("/d/a", false, "2", {}, now_).ok());
  ASSERT_TRUE(st_.Set("/d/_h", false, "3", {}, now_).ok());
  ASSERT_TRUE(st_.Set("/d/e", true, "", {}, now_).ok());
  EXPECT_EQ(
      Json(st_.Get("/d", false, true, now_)),
      R"({"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/a","value":"2","modifiedIndex":2,"createdIndex":2},{"key":"/d/b","dir":true,"modifiedIndex":1,"createdIndex":1},{"key":"/d/e","dir":true,"modifiedIndex":4,"createdIndex":4}],"modifiedIndex":1,"createdIndex":1}})");
  EXPECT_EQ(
      Json(st_.Get("/d/b", true, true, now_)),
      R"({"action":"get","node":{"key":"/d/b","dir":true,"nodes":[{"key":"/d/b/c","value":"1","modifiedIndex":1,"createdIndex":1}],"modifiedIndex":1,"createdIndex":1}})");
  // A hidden key is readable by its name.
  EXPECT_EQ(st_.Get("/d/_h", false, false, now_)->node->value, "3");
  // A path through a file.
  Result<Event> r = st_.Get("/d/a/x", false, false, now_);
  EXPECT_EQ(r.error().code, kEcodeNotDir);
  EXPECT_EQ(r.error().cause, "/d/a");
  EXPECT_EQ(st_.Get("/d/zz/y", false, false, now_).error().cause, "/d/zz");
}

TEST_F(StoreTest, SetRefusesToReplaceADirectory) {
  ASSERT_TRUE(st_.Set("/d/a", false, "1", {}, now_).ok());
  Result<Event> r = st_.Set("/d", false, "x", {}, now_);
  EXPECT_EQ(r.error().code, kEcodeNotFile);
  EXPECT_EQ(r.error().cause, "/d");
  EXPECT_EQ(st_.Set("/d", true, "", {}, now_).error().code, kEcodeNotFile);
  // Set of a directory over a file replaces the file.
  Result<Event> e = st_.Set("/d/a", true, "", {}, now_);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->node->dir);
  EXPECT_EQ(e->prev_node->value, "1");
}

TEST_F(StoreTest, SetWithRefreshNeedsAnExistingKey) {
  TtlOptions refresh{.expire_time = now_ + absl::Seconds(5), .refresh = true};
  EXPECT_EQ(st_.Set("/a", false, "", refresh, now_).error().code, kEcodeKeyNotFound);
  EXPECT_EQ(st_.stats().sets_fail, 1u);
}

TEST_F(StoreTest, CreateUniqueNamesChildrenByIndex) {
  ASSERT_TRUE(st_.Set("/x", false, "1", {}, now_).ok());
  Result<Event> e = st_.Create("/q", true, "", true, {}, now_);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->node->key, "/q/00000000000000000002");
  EXPECT_TRUE(e->node->dir);
  EXPECT_FALSE(e->node->value.has_value());
  // A walk through a file fails, counted (as etcd) as a failed set and a failed create.
  Result<Event> r = st_.Create("/x/y", false, "v", false, {}, now_);
  EXPECT_EQ(r.error().code, kEcodeNotDir);
  EXPECT_EQ(r.error().cause, "/x");
  EXPECT_EQ(st_.stats().sets_fail, 1u);
  EXPECT_EQ(st_.stats().create_fail, 1u);
}

TEST_F(StoreTest, UpdateOfADirectoryKeepsItsModifiedIndex) {
  ASSERT_TRUE(st_.Set("/d", true, "", {}, now_).ok());
  Result<Event> e = st_.Update("/d", "", {.expire_time = now_ + absl::Seconds(9)}, now_);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->node->modified_index, 2u);
  EXPECT_EQ(e->node->ttl, 9);
  EXPECT_EQ(st_.Get("/d", false, false, now_)->node->modified_index, 1u);
  EXPECT_EQ(st_.index(), 2u);
}

TEST_F(StoreTest, CompareAndSwapAndDeleteRefuseDirectories) {
  ASSERT_TRUE(st_.Set("/d/a", false, "1", {}, now_).ok());
  EXPECT_EQ(st_.CompareAndSwap("/d", "", 0, "x", {}, now_).error().code, kEcodeNotFile);
  EXPECT_EQ(st_.CompareAndDelete("/d", "", 0, now_).error().code, kEcodeNotFile);
  EXPECT_EQ(st_.CompareAndSwap("/nope", "a", 0, "x", {}, now_).error().code, kEcodeKeyNotFound);
  // Empty prevValue and zero prevIndex compare as "any".
  EXPECT_TRUE(st_.CompareAndSwap("/d/a", "", 0, "2", {}, now_).ok());
  EXPECT_EQ(st_.stats().compare_and_swap_fail, 2u);
  EXPECT_EQ(st_.stats().compare_and_delete_success, 1u);  // etcd counts the refusal so
}

TEST_F(StoreTest, DeleteOfAnEmptyDirectoryNeedsDir) {
  ASSERT_TRUE(st_.Set("/e", true, "", {}, now_).ok());
  EXPECT_EQ(st_.Delete("/e", false, false, now_).error().code, kEcodeNotFile);
  Result<Event> e = st_.Delete("/e", true, false, now_);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(st_.Get("/e", false, false, now_).error().code, kEcodeKeyNotFound);
  // A file is deleted whatever dir says.
  ASSERT_TRUE(st_.Set("/f", false, "v", {}, now_).ok());
  EXPECT_TRUE(st_.Delete("/f", true, false, now_).ok());
  EXPECT_EQ(st_.index(), 4u);
}

TEST_F(StoreTest, FailedOperationsDoNotMoveTheIndex) {
  ASSERT_TRUE(st_.Set("/a", false, "1", {}, now_).ok());
  EXPECT_FALSE(st_.Create("/a", false, "1", false, {}, now_).ok());
  EXPECT_FALSE(st_.Update("/b", "1", {}, now_).ok());
  EXPECT_FALSE(st_.CompareAndSwap("/a", "2", 0, "3", {}, now_).ok());
  EXPECT_FALSE(st_.CompareAndDelete("/a", "", 9, now_).ok());
  EXPECT_FALSE(st_.Delete("/b", false, false, now_).ok());
  EXPECT_EQ(st_.index(), 1u);
}

}  // namespace
}  // namespace etcdpp::server::v2store
