// The corruption checks' decisions as etcd 3.4 makes them (etcdserver/corrupt.go), and the
// checker's asking over fake peers: which peers are skipped, who is at fault, when a restarted
// member refuses to start.

#include "server/corrupt_check.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mvcc/kvstore.h"

namespace etcdpp::server {
namespace {

namespace pb = ::etcdserverpb;

constexpr uint64_t kSelf = 0x1;
constexpr uint64_t kPeerA = 0xa;
constexpr uint64_t kPeerB = 0xb;

pb::HashKVResponse Answer(uint64_t member, int64_t rev, int64_t crev, uint32_t hash) {
  pb::HashKVResponse r;
  r.mutable_header()->set_member_id(member);
  r.mutable_header()->set_revision(rev);
  r.set_compact_revision(crev);
  r.set_hash(hash);
  return r;
}

PeerHash Peer(uint64_t id, absl::StatusOr<pb::HashKVResponse> answer) {
  return PeerHash{.id = id, .urls = {"http://peer"}, .answer = std::move(answer)};
}

const KvHash kLocal{.hash = 100, .revision = 10, .compact_revision = 5};

TEST(InitialCorruptCheckTest, EqualHashesPass) {
  EXPECT_TRUE(JudgeInitialHashes(kSelf, kLocal,
                                 {Peer(kPeerA, Answer(kPeerA, 12, 5, 100)),
                                  Peer(kPeerB, Answer(kPeerB, 10, 5, 100))})
                  .ok());
  EXPECT_TRUE(JudgeInitialHashes(kSelf, kLocal, {}).ok());  // a single member
}

TEST(InitialCorruptCheckTest, OtherHashAtTheSameCompactRevisionRefusesToStart) {
  absl::Status st = JudgeInitialHashes(
      0x8e9e05c52164694d, kLocal,
      {Peer(kPeerA, Answer(kPeerA, 12, 5, 100)), Peer(kPeerB, Answer(kPeerB, 12, 5, 101))});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "8e9e05c52164694d found data inconsistency with peers");
}

// Another compact revision, a peer behind (future revision), a peer compacted past the
// revision, an unreachable peer: warned about and skipped.
TEST(InitialCorruptCheckTest, PeersThatCannotCompareAreSkipped) {
  EXPECT_TRUE(
      JudgeInitialHashes(kSelf, kLocal,
                         {Peer(kPeerA, Answer(kPeerA, 12, 7, 555)),
                          Peer(kPeerB, mvcc::FutureRevError()), Peer(0xc, mvcc::CompactedError()),
                          Peer(0xd, absl::UnavailableError("connection refused"))})
          .ok());
}

TEST(PeriodicCorruptCheckTest, HealthyPeersAreNotAtFault) {
  const KvHash after{.hash = 200, .revision = 12, .compact_revision = 5};
  EXPECT_TRUE(FindCorruptMembers(kSelf, kLocal, after,
                                 {Peer(kPeerA, Answer(kPeerA, 12, 5, 100)),
                                  Peer(kPeerB, Answer(kPeerB, 11, 5, 100))})
                  .empty());
  // A peer that compacted less (it hashed keys the leader has compacted away), and peers that
  // did not answer, prove nothing.
  EXPECT_TRUE(FindCorruptMembers(
                  kSelf, kLocal, after,
                  {Peer(kPeerA, Answer(kPeerA, 12, 3, 999)), Peer(kPeerB, mvcc::FutureRevError())})
                  .empty());
}

TEST(PeriodicCorruptCheckTest, LeaderWhoseHashChangedAtTheSameRevisionsIsAtFault) {
  const KvHash after{.hash = 101, .revision = 10, .compact_revision = 5};
  EXPECT_EQ(FindCorruptMembers(kSelf, kLocal, after, {}), std::vector<uint64_t>{kSelf});
  // A new revision or compaction in between explains another hash.
  EXPECT_TRUE(FindCorruptMembers(kSelf, kLocal, {101, 11, 5}, {}).empty());
  EXPECT_TRUE(FindCorruptMembers(kSelf, kLocal, {101, 10, 6}, {}).empty());
}

TEST(PeriodicCorruptCheckTest, PeerAheadOfTheLeaderIsAtFault) {
  EXPECT_EQ(FindCorruptMembers(kSelf, kLocal, kLocal, {Peer(kPeerA, Answer(kPeerA, 11, 5, 100))}),
            std::vector<uint64_t>{kPeerA});
}

TEST(PeriodicCorruptCheckTest, PeerCompactedFurtherThanTheLeaderIsAtFault) {
  EXPECT_EQ(FindCorruptMembers(kSelf, kLocal, kLocal, {Peer(kPeerA, Answer(kPeerA, 10, 6, 7))}),
            std::vector<uint64_t>{kPeerA});
}

TEST(PeriodicCorruptCheckTest, PeerWithAnotherHashAtTheSameCompactRevisionIsAtFault) {
  EXPECT_EQ(FindCorruptMembers(kSelf, kLocal, {200, 12, 5},
                               {Peer(kPeerA, Answer(kPeerA, 10, 5, 100)),
                                Peer(kPeerB, Answer(kPeerB, 10, 5, 101))}),
            std::vector<uint64_t>{kPeerB});
}

// The checker over fake peers and a fake store.
struct Fakes {
  std::vector<KvHash> local;  // successive local hashes
  size_t next_local = 0;
  std::map<std::string, absl::StatusOr<pb::HashKVResponse>> by_url;
  std::vector<std::string> asked;  // "<url>@<rev>"
  absl::Status read = absl::OkStatus();
  std::vector<uint64_t> raised;

  CorruptChecker::Deps Deps() {
    CorruptChecker::Deps d;
    d.member_id = kSelf;
    d.request_timeout = std::chrono::milliseconds(100);
    d.interval = absl::ZeroDuration();
    d.local_hash = [this]() -> absl::StatusOr<KvHash> {
      return local[std::min(next_local++, local.size() - 1)];
    };
    d.peers = [] {
      return std::vector<CorruptChecker::Peer>{{kSelf, {"http://self"}},
                                               {kPeerA, {"http://a1", "http://a2"}},
                                               {kPeerB, {"http://b"}},
                                               {0xc, {}}};
    };
    d.peer_hash = [this](const std::string& url, int64_t rev, std::chrono::milliseconds) {
      asked.push_back(absl::StrCat(url, "@", rev));
      auto it = by_url.find(url);
      return it == by_url.end() ? absl::UnavailableError("connection refused") : it->second;
    };
    d.is_leader = [] { return true; };
    d.linearizable_read = [this](std::function<void(absl::Status)> done) { done(read); };
    d.raise_corrupt = [this](uint64_t m) { raised.push_back(m); };
    return d;
  }
};

TEST(CorruptCheckerTest, InitialCheckAsksEachPeerUrlUntilOneAnswers) {
  Fakes f;
  f.local = {kLocal};
  f.by_url["http://a2"] = Answer(kPeerA, 10, 5, 100);
  f.by_url["http://b"] = Answer(kPeerB, 10, 5, 100);
  CorruptChecker c(f.Deps());
  EXPECT_TRUE(c.InitialCheck().ok());
  EXPECT_EQ(f.asked, (std::vector<std::string>{"http://a1@10", "http://a2@10", "http://b@10"}));

  f.by_url["http://b"] = Answer(kPeerB, 10, 5, 42);
  EXPECT_EQ(c.InitialCheck().message(), "1 found data inconsistency with peers");
}

TEST(CorruptCheckerTest, PeriodicRoundRaisesOneAlarmForTheFirstMemberAtFault) {
  Fakes f;
  f.local = {kLocal, kLocal};
  f.by_url["http://a1"] = Answer(kPeerA, 10, 5, 42);
  f.by_url["http://b"] = Answer(kPeerB, 11, 5, 100);
  CorruptChecker c(f.Deps());
  ASSERT_TRUE(c.CheckOnceForTest().ok());
  EXPECT_EQ(f.raised, std::vector<uint64_t>{kPeerA});
}

TEST(CorruptCheckerTest, PeriodicRoundWithoutReadBarrierRaisesNothing) {
  Fakes f;
  f.local = {kLocal, kLocal};
  f.by_url["http://a1"] = Answer(kPeerA, 10, 5, 42);
  f.read = absl::UnavailableError("etcdserver: request timed out");
  CorruptChecker c(f.Deps());
  EXPECT_FALSE(c.CheckOnceForTest().ok());
  EXPECT_TRUE(f.raised.empty());
}

TEST(CorruptCheckerTest, HealthyRoundRaisesNothing) {
  Fakes f;
  f.local = {kLocal, {300, 12, 5}};
  f.by_url["http://a1"] = Answer(kPeerA, 10, 5, 100);
  f.by_url["http://b"] = Answer(kPeerB, 12, 5, 100);
  CorruptChecker c(f.Deps());
  ASSERT_TRUE(c.CheckOnceForTest().ok());
  EXPECT_TRUE(f.raised.empty());
}

}  // namespace
}  // namespace etcdpp::server
