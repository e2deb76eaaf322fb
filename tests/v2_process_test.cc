// v2_process_test: the v2 API (--enable-v2) of 3-member etcdpp clusters, real processes driven
// with curl (docs/design/v2_server.md).
//
//  - Writes made on any member (set, in-order POST, a failed compare-and-swap) reach every
//    member's v2 store: after a quorum read, each member's local listing is the same.
//  - Without --enable-v2, /v2/keys is "404 page not found", as etcd 3.4's.
//  - A key with a TTL expires through the leader's SYNC: every member's history holds the same
//    "expire" event at the same index, and every member then answers 100 for it.
//  - The leader killed while a TTL key lives: the new leader's SYNC expires it, and on each
//    survivor a chain of waitIndex watches over the key space sees every event once, in order,
//    the same on both.
//  - A member that missed writes while stopped catches up by a raft snapshot (the v2 store is
//    in it), and the whole cluster killed and restarted keeps every v2 key.
//  - v2 auth set up and enabled through one member holds on the others (a user's credentials,
//    the guest role, root-only /v2/auth) and after the whole cluster is killed and restarted.

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster.h"
#include "harness/command.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

struct Reply {
  int status = 0;
  std::string body;
};

// curl `method` <member>/<path_query> with the form `form` (empty: no body) and the curl
// arguments `extra` (shell words); bounded by `max_seconds`.
Reply Curl(const ServerProcess& m, const std::string& method, const std::string& path_query,
           const std::string& form = "", int max_seconds = 10, const std::string& extra = "") {
  std::string cmd = absl::StrCat("curl -sS -m ", max_seconds, " -X ", method, " '", m.ClientUrl(),
                                 path_query, "' ", extra);
  if (!form.empty()) absl::StrAppend(&cmd, " --data '", form, "'");
  absl::StrAppend(&cmd, " -w '\\n%{http_code}'");
  int rc = 0;
  std::string out = RunCommand(cmd, &rc);
  Reply r;
  const size_t nl = out.rfind('\n');
  if (rc != 0 || nl == std::string::npos) {
    r.body = out;
    return r;
  }
  r.status = std::atoi(out.c_str() + nl + 1);
  r.body = out.substr(0, nl);
  return r;
}

// A PUT that may meet a cluster electing a leader (one was just killed): retried, bounded,
// until it is answered (a create that an earlier, timed-out attempt made answers 412).
Reply PutRetrying(const ServerProcess& m, const std::string& path, const std::string& form) {
  Reply r;
  for (int attempt = 0; attempt < 50; ++attempt) {
    r = Curl(m, "PUT", path, form);
    if (r.status == 200 || r.status == 201 || r.status == 412) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return r;
}

std::unique_ptr<Cluster> StartCluster(std::vector<std::string> flags) {
  flags.push_back("--enable-v2");
  auto c = Cluster::Start(BinaryUnderTest(), 3, std::move(flags), absl::Seconds(30));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

// The member's whole /v2/keys tree once it has applied everything committed before now (a
// quorum read goes through the log first).
std::string LocalTree(const ServerProcess& m, const std::string& dir) {
  Reply q = Curl(m, "GET", absl::StrCat("/v2/keys", dir, "?quorum=true"));
  EXPECT_EQ(q.status, 200) << q.body;
  Reply r = Curl(m, "GET", absl::StrCat("/v2/keys", dir, "?recursive=true&sorted=true"));
  EXPECT_EQ(r.status, 200) << r.body;
  return r.body;
}

TEST(V2ProcessTest, WritesReachEveryMembersStore) {
  auto c = StartCluster({});
  ASSERT_NE(c, nullptr);
  Reply set = Curl(c->member(0), "PUT", "/v2/keys/dir/a", "value=1");
  EXPECT_EQ(set.status, 201) << set.body;
  EXPECT_TRUE(absl::StartsWith(set.body,
                               "{\"action\":\"set\",\"node\":{\"key\":\"/dir/a\","
                               "\"value\":\"1\",\"modifiedIndex\":"))
      << set.body;
  Reply post = Curl(c->member(1), "POST", "/v2/keys/queue", "value=job1");
  EXPECT_EQ(post.status, 201) << post.body;
  EXPECT_TRUE(absl::StrContains(post.body, "\"key\":\"/queue/0000000000000000000")) << post.body;
  Reply cas = Curl(c->member(2), "PUT", "/v2/keys/dir/a?prevValue=2", "value=3");
  EXPECT_EQ(cas.status, 412) << cas.body;
  EXPECT_TRUE(absl::StartsWith(cas.body,
                               "{\"errorCode\":101,\"message\":\"Compare failed\","
                               "\"cause\":\"[2 != 1]\",\"index\":"))
      << cas.body;
  Reply missing = Curl(c->member(2), "GET", "/v2/keys/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(absl::StartsWith(missing.body,
                               "{\"errorCode\":100,\"message\":\"Key not found\","
                               "\"cause\":\"/nothing\",\"index\":"))
      << missing.body;
  const std::string tree = LocalTree(c->member(0), "/");
  EXPECT_TRUE(absl::StrContains(tree, "\"key\":\"/dir/a\",\"value\":\"1\"")) << tree;
  EXPECT_TRUE(absl::StrContains(tree, "\"value\":\"job1\"")) << tree;
  for (int i = 1; i < 3; ++i) EXPECT_EQ(LocalTree(c->member(i), "/"), tree) << "member " << i;
}

TEST(V2ProcessTest, WithoutEnableV2TheKeysApiIsNotFound) {
  auto p = ServerProcess::Start(BinaryUnderTest(), MemberConfig{}, absl::Seconds(30));
  ASSERT_TRUE(p.ok()) << p.status();
  Reply r = Curl(**p, "GET", "/v2/keys/foo");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
}

TEST(V2ProcessTest, TtlKeysExpireAtTheSameIndexOnEveryMember) {
  auto c = StartCluster({});
  ASSERT_NE(c, nullptr);
  Reply set = Curl(c->member(1), "PUT", "/v2/keys/ttlkey", "value=x&ttl=2");
  ASSERT_EQ(set.status, 201) << set.body;
  EXPECT_TRUE(absl::StrContains(set.body, "\"ttl\":2,")) << set.body;
  const int64_t index = JsonInt(set.body, "modifiedIndex");
  ASSERT_GT(index, 0) << set.body;
  int64_t expired_at = -1;
  for (int i = 0; i < 3; ++i) {
    // The expiry is the next event of the key; a watch finds it in the history once it is past.
    Reply w = Curl(c->member(i), "GET",
                   absl::StrCat("/v2/keys/ttlkey?wait=true&waitIndex=", index + 1), "", 30);
    ASSERT_EQ(w.status, 200) << "member " << i << ": " << w.body;
    EXPECT_TRUE(absl::StartsWith(w.body, "{\"action\":\"expire\",\"node\":{\"key\":\"/ttlkey\""))
        << w.body;
    const int64_t at = JsonInt(w.body, "modifiedIndex");
    if (i == 0) expired_at = at;
    EXPECT_EQ(at, expired_at) << "member " << i << ": " << w.body;
    Reply gone = Curl(c->member(i), "GET", "/v2/keys/ttlkey");
    EXPECT_EQ(gone.status, 404) << gone.body;
  }
  EXPECT_GT(expired_at, index);
}

// The first `count` events of /v2/keys from index `from` on, one waitIndex watch after the
// other, each shown up to its node's value.
std::vector<std::string> EventsFrom(const ServerProcess& m, int64_t from, int count) {
  std::vector<std::string> events;
  for (int i = 0; i < count; ++i) {
    Reply w =
        Curl(m, "GET", absl::StrCat("/v2/keys/?wait=true&recursive=true&waitIndex=", from), "", 30);
    if (w.status != 200) {
      events.push_back(absl::StrCat("error ", w.status, ": ", w.body));
      break;
    }
    const int64_t at = JsonInt(w.body, "modifiedIndex");
    EXPECT_GE(at, from) << w.body;  // each event once, in index order
    events.push_back(w.body.substr(0, w.body.find(",\"value\"")));
    from = at + 1;
  }
  return events;
}

TEST(V2ProcessTest, TtlsAndWatchesCarryOnAcrossALeaderChange) {
  auto c = StartCluster({});
  ASSERT_NE(c, nullptr);
  Reply set = Curl(c->member(0), "PUT", "/v2/keys/lk", "value=x&ttl=6");
  ASSERT_EQ(set.status, 201) << set.body;
  const int64_t index = JsonInt(set.body, "modifiedIndex");
  int leader = -1;
  for (int i = 0; i < 3; ++i) {
    if (absl::StrContains(Curl(c->member(i), "GET", "/v2/stats/self").body, "StateLeader")) {
      leader = i;
    }
  }
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(c->member(leader).Kill().ok());
  std::vector<int> alive;
  for (int i = 0; i < 3; ++i) {
    if (i != leader) alive.push_back(i);
  }
  Reply other = PutRetrying(c->member(alive[0]), "/v2/keys/other?prevExist=false", "value=y");
  ASSERT_TRUE(other.status == 201 || other.status == 412) << other.status << " " << other.body;
  std::vector<std::string> first = EventsFrom(c->member(alive[0]), index, 3);
  ASSERT_EQ(first.size(), 3u) << absl::StrJoin(first, "\n");
  std::vector<std::string> actions;
  for (const std::string& e : first) actions.push_back(e.substr(0, e.find(",\"modifiedIndex")));
  std::sort(actions.begin(), actions.end());
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "{\"action\":\"create\",\"node\":{\"key\":\"/other\"",
                         "{\"action\":\"expire\",\"node\":{\"key\":\"/lk\"",
                         "{\"action\":\"set\",\"node\":{\"key\":\"/lk\"",
                     }))
      << absl::StrJoin(first, "\n");
  EXPECT_EQ(EventsFrom(c->member(alive[1]), index, 3), first);
}

TEST(V2ProcessTest, KeysTravelInSnapshotsAndSurviveRestarts) {
  auto c = StartCluster({"--snapshot-count=20", "--experimental-snapshot-catchup-entries=5"});
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->member(2).Kill().ok());
  for (int i = 0; i < 100; ++i) {
    Reply r = PutRetrying(c->member(i % 2), absl::StrCat("/v2/keys/s/k", i),
                          "value=v" + std::to_string(i));
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;  // 200: retried
  }
  const std::string tree = LocalTree(c->member(0), "/s");
  EXPECT_TRUE(absl::StrContains(tree, "\"key\":\"/s/k99\",\"value\":\"v99\"")) << tree;
  ASSERT_TRUE(c->member(2).Restart(absl::Seconds(30)).ok()) << c->member(2).LogTail();
  EXPECT_EQ(LocalTree(c->member(2), "/s"), tree);
  EXPECT_TRUE(absl::StrContains(c->member(2).LogTail(400), "applied snapshot at index"))
      << "member 2 caught up without a snapshot:\n"
      << c->member(2).LogTail();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->member(i).Kill().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->member(i).Launch().ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->member(i).WaitReady(absl::Seconds(30)).ok()) << c->member(i).LogTail();
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(LocalTree(c->member(i), "/s"), tree) << "member " << i;
}

// A /v2/auth change (JSON body) on `m`, as user:password `cred` ("": none).
Reply AuthPut(const ServerProcess& m, const std::string& path, const std::string& json,
              const std::string& cred = "") {
  std::string extra = absl::StrCat("-H 'Content-Type: application/json' --data '", json, "'");
  if (!cred.empty()) absl::StrAppend(&extra, " -u '", cred, "'");
  return Curl(m, "PUT", path, "", 10, extra);
}

Reply AsUser(const ServerProcess& m, const std::string& method, const std::string& path,
             const std::string& cred, const std::string& form = "") {
  return Curl(m, method, path, form, 10, cred.empty() ? "" : absl::StrCat("-u '", cred, "'"));
}

// `m`'s answer to GET `path` as `cred` once it is `status` (the member applies the writes made
// through another one soon after): bounded, 50 tries.
Reply AwaitStatus(const ServerProcess& m, const std::string& path, const std::string& cred,
                  int status) {
  Reply r;
  for (int attempt = 0; attempt < 50; ++attempt) {
    r = AsUser(m, "GET", path, cred);
    if (r.status == status) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return r;
}

// What member `m` lets each identity do once auth is on: app reads /app/* but writes nothing,
// the guest (no credentials) reads nothing, root writes, a wrong password is refused, and
// /v2/auth answers root only.
void ExpectAuthEnforced(const ServerProcess& m) {
  // A member just restarted may still be replaying its log: wait (bounded) for the answer.
  Reply read = AwaitStatus(m, "/v2/keys/app/k", "app:apppw", 200);
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_TRUE(absl::StrContains(read.body, "\"value\":\"v1\"")) << read.body;
  Reply write = AsUser(m, "PUT", "/v2/keys/app/k", "app:apppw", "value=no");
  EXPECT_EQ(write.status, 401) << write.body;
  EXPECT_TRUE(absl::StartsWith(write.body,
                               "{\"errorCode\":110,\"message\":\"The request requires user "
                               "authentication\",\"cause\":\"Insufficient credentials\""))
      << write.body;
  Reply guest = AsUser(m, "GET", "/v2/keys/app/k", "");
  EXPECT_EQ(guest.status, 401) << guest.body;
  Reply wrong = AsUser(m, "GET", "/v2/keys/app/k", "app:nope");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  Reply list = AsUser(m, "GET", "/v2/auth/users", "app:apppw");
  EXPECT_EQ(list.status, 401) << list.body;
  EXPECT_EQ(list.body, "{\"message\":\"Insufficient credentials\"}");
  Reply users = AsUser(m, "GET", "/v2/auth/users", "root:rootpw");
  EXPECT_EQ(users.status, 200) << users.body;
  EXPECT_TRUE(absl::StrContains(users.body, "{\"user\":\"app\",\"roles\":[{\"role\":\"app\","))
      << users.body;
  Reply enabled = AsUser(m, "GET", "/v2/auth/enable", "");
  EXPECT_EQ(enabled.body, "{\"enabled\":true}\n");
}

TEST(V2ProcessTest, AuthEnabledOnOneMemberHoldsOnAllAndSurvivesRestarts) {
  auto c = StartCluster({});
  ASSERT_NE(c, nullptr);
  const ServerProcess& m0 = c->member(0);
  ASSERT_EQ(Curl(m0, "PUT", "/v2/keys/app/k", "value=v1").status, 201);
  Reply root = AuthPut(m0, "/v2/auth/users/root", R"({"user":"root","password":"rootpw"})");
  ASSERT_EQ(root.status, 201) << root.body;
  EXPECT_EQ(root.body, "{\"user\":\"root\",\"roles\":[\"root\"]}\n");
  Reply role = AuthPut(m0, "/v2/auth/roles/app",
                       R"({"role":"app","permissions":{"kv":{"read":["/app/*"]}}})");
  ASSERT_EQ(role.status, 201) << role.body;
  ASSERT_EQ(AuthPut(m0, "/v2/auth/users/app", R"({"user":"app","password":"apppw"})").status, 201);
  Reply grant = AuthPut(m0, "/v2/auth/users/app", R"({"user":"app","grant":["app"]})");
  ASSERT_EQ(grant.status, 200) << grant.body;
  EXPECT_EQ(grant.body, "{\"user\":\"app\",\"roles\":[\"app\"]}\n");
  Reply enable = Curl(m0, "PUT", "/v2/auth/enable");
  ASSERT_EQ(enable.status, 200) << enable.body;
  // The guest role etcd made on enabling reads and writes everything; take that away.
  Reply guest =
      AuthPut(m0, "/v2/auth/roles/guest",
              R"({"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}})", "root:rootpw");
  ASSERT_EQ(guest.status, 200) << guest.body;
  EXPECT_EQ(guest.body,
            "{\"role\":\"guest\",\"permissions\":{\"kv\":{\"read\":[],\"write\":[]}}}\n");
  // Member 1 has applied all of it once the guest's read is refused there.
  Reply refused = AwaitStatus(c->member(1), "/v2/keys/app/k", "", 401);
  ASSERT_EQ(refused.status, 401) << refused.body;
  ExpectAuthEnforced(c->member(1));
  Reply root_write = AsUser(c->member(1), "PUT", "/v2/keys/app/k", "root:rootpw", "value=v1");
  EXPECT_EQ(root_write.status, 200) << root_write.body;

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->member(i).Kill().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->member(i).Launch().ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->member(i).WaitReady(absl::Seconds(30)).ok()) << c->member(i).LogTail();
  }
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(absl::StrCat("member ", i, " after the restart"));
    ExpectAuthEnforced(c->member(i));
  }
  Reply disable = AsUser(c->member(2), "DELETE", "/v2/auth/enable", "root:rootpw");
  EXPECT_EQ(disable.status, 200) << disable.body;
  Reply open = AwaitStatus(c->member(0), "/v2/keys/app/k", "", 200);
  EXPECT_EQ(open.status, 200) << open.body;
}

}  // namespace
}  // namespace etcdpp::testing
