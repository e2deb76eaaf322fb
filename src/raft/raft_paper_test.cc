// Three- and five-member scenarios on the in-memory network, named after sentences of the Raft
// paper where one fits.

#include "gtest/gtest.h"
#include "raft/test_network.h"

namespace etcdpp::raft {
namespace {

using testing::Network;

std::vector<Entry> LogOf(Network& n, uint64_t id) {
  return n[id]
      .storage->Entries(*n[id].storage->FirstIndex(), *n[id].storage->LastIndex() + 1, UINT64_MAX)
      .value_or(std::vector<Entry>{});
}

// §5.2: "Election Safety: at most one leader can be elected in a given term."
TEST(RaftPaperTest, AtMostOneLeaderCanBeElectedInAGivenTerm) {
  Network n({1, 2, 3});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  uint64_t term = n.raft(leader).term();
  int leaders = 0;
  for (uint64_t id : {1, 2, 3}) {
    if (n.raft(id).state() == StateType::kLeader) ++leaders;
    EXPECT_EQ(n.raft(id).term(), term);
    EXPECT_EQ(n.raft(id).lead(), leader);
  }
  EXPECT_EQ(leaders, 1);
}

// §5.3: "Once a leader has been elected, it begins servicing client requests. ... the leader
// appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel."
TEST(RaftPaperTest, LeaderAppendsCommandAndReplicatesToAllFollowers) {
  Network n({1, 2, 3});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(n.node(leader).Propose("x=1").ok());
  ASSERT_TRUE(n.node(leader).Propose("y=2").ok());
  n.Settle();
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(n[id].applied, (std::vector<std::string>{"x=1", "y=2"})) << id;
    EXPECT_EQ(LogOf(n, id), LogOf(n, leader)) << id;
  }
}

// §5.3: "A log entry is committed once the leader that created the entry has replicated it on
// a majority of the servers."
TEST(RaftPaperTest, EntryIsCommittedOnceReplicatedOnAMajority) {
  Network n({1, 2, 3});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  uint64_t other = leader == 1 ? 2 : 1;
  uint64_t third = 6 - leader - other;
  n.Isolate(third);
  ASSERT_TRUE(n.node(leader).Propose("a").ok());
  n.Settle();
  EXPECT_EQ(n[leader].applied, std::vector<std::string>{"a"});
  EXPECT_TRUE(n[third].applied.empty());
  n.Isolate(other);  // now the leader is alone: nothing commits
  ASSERT_TRUE(n.node(leader).Propose("b").ok());
  n.Settle();
  EXPECT_EQ(n[leader].applied, std::vector<std::string>{"a"});
  n.Heal();
  n.TickAll(2);  // heartbeats bring everyone up to date
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(n[id].applied, (std::vector<std::string>{"a", "b"})) << id;
  }
}

TEST(RaftPaperTest, FollowerForwardsProposalToLeader) {
  Network n({1, 2, 3});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  uint64_t follower = leader == 1 ? 2 : 1;
  ASSERT_TRUE(n.node(follower).Propose("fwd").ok());
  n.Settle();
  for (uint64_t id : {1, 2, 3}) EXPECT_EQ(n[id].applied, std::vector<std::string>{"fwd"});
}

// §5.3: "the leader handles inconsistencies by forcing the followers' logs to duplicate its
// own. This means that conflicting entries in follower logs will be overwritten."
TEST(RaftPaperTest, ConflictingEntriesOfPartitionedOldLeaderAreOverwritten) {
  Network n({1, 2, 3});
  uint64_t old_leader = n.ElectLeader();
  ASSERT_NE(old_leader, 0u);
  n.Isolate(old_leader);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(n.node(old_leader).Propose("lost").ok());
  n.Settle();
  uint64_t new_leader = n.ElectLeader();
  ASSERT_NE(new_leader, 0u);
  ASSERT_NE(new_leader, old_leader);
  ASSERT_TRUE(n.node(new_leader).Propose("kept").ok());
  n.Settle();
  n.Heal();
  n.TickAll(3);
  EXPECT_EQ(n.raft(old_leader).state(), StateType::kFollower);
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(n[id].applied, std::vector<std::string>{"kept"}) << id;
    EXPECT_EQ(LogOf(n, id), LogOf(n, new_leader)) << id;
  }
}

// §5.4.1: "the voter denies its vote if its own log is more up-to-date than that of the
// candidate."
TEST(RaftPaperTest, VoterDeniesVoteToCandidateWithStaleLog) {
  Network n({1, 2, 3});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  uint64_t stale = leader == 1 ? 2 : 1;
  n.Isolate(stale);
  ASSERT_TRUE(n.node(leader).Propose("a").ok());
  n.Settle();
  n.Heal();
  n.Isolate(leader);
  // The stale member campaigns first; the up-to-date one refuses it.
  ASSERT_TRUE(n.node(stale).Campaign().ok());
  n.Settle();
  EXPECT_NE(n.raft(stale).state(), StateType::kLeader);
  uint64_t next = n.ElectLeader();
  EXPECT_EQ(next, 6 - leader - stale);
}

TEST(RaftPaperTest, ReadIndexOnLeaderIsConfirmedByHeartbeatQuorum) {
  Network n({1, 2, 3});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(n.node(leader).Propose("a").ok());
  n.Settle();
  n.readies().clear();
  n.node(leader).ReadIndex("r1");
  ASSERT_TRUE(n.ProcessReadies());
  // Not answered before the heartbeat round trip.
  for (const Ready& rd : n.readies()[leader]) EXPECT_TRUE(rd.read_states.empty());
  n.Settle();
  std::vector<ReadState> got;
  for (const Ready& rd : n.readies()[leader]) {
    got.insert(got.end(), rd.read_states.begin(), rd.read_states.end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_ctx, "r1");
  EXPECT_EQ(got[0].index, n.raft(leader).log().committed());

  // Without a quorum of heartbeat acks there is no answer.
  for (uint64_t id : {1, 2, 3})
    if (id != leader) n.Isolate(id);
  n.readies().clear();
  n.node(leader).ReadIndex("r2");
  n.Settle();
  for (const Ready& rd : n.readies()[leader]) EXPECT_TRUE(rd.read_states.empty());
}

TEST(RaftPaperTest, ReadIndexOnFollowerIsForwardedToLeader) {
  Network n({1, 2, 3});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  uint64_t follower = leader == 1 ? 2 : 1;
  n.readies().clear();
  n.node(follower).ReadIndex("f1");
  n.Settle();
  std::vector<ReadState> got;
  for (const Ready& rd : n.readies()[follower]) {
    got.insert(got.end(), rd.read_states.begin(), rd.read_states.end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_ctx, "f1");
  EXPECT_EQ(got[0].index, n.raft(leader).log().committed());
}

// §6.4: a new leader must commit an entry of its term before it knows the commit index.
TEST(RaftPaperTest, NewLeaderHoldsReadIndexUntilItCommitsAnEntryOfItsTerm) {
  Network n({1, 2, 3});
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.ProcessReadies();
  n.Deliver();  // vote requests
  n.ProcessReadies();
  n.Deliver();  // votes: 1 leads, its empty entry is not acknowledged yet
  ASSERT_EQ(n.raft(1).state(), StateType::kLeader);
  ASSERT_NE(n.raft(1).log().TermOrZero(n.raft(1).log().committed()), n.raft(1).term());
  n.readies().clear();
  n.node(1).ReadIndex("early");
  n.ProcessReadies();
  for (const Ready& rd : n.readies()[1]) EXPECT_TRUE(rd.read_states.empty());
  n.Settle();
  std::vector<ReadState> got;
  for (const Ready& rd : n.readies()[1]) {
    got.insert(got.end(), rd.read_states.begin(), rd.read_states.end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_ctx, "early");
  EXPECT_EQ(got[0].index, 4u);  // 3 bootstrap entries + the leader's empty entry
}

}  // namespace
}  // namespace etcdpp::raft
