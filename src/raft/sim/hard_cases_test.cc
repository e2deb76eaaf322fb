// The classic hard cases of Raft, scripted step by step on the simulated cluster (cluster.h),
// with the safety checker watching every step: the Raft paper's Figure 8, a partitioned old
// leader, a removed leader.

#include <algorithm>
#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "raft/sim/cluster.h"

namespace etcdpp::raft::sim {
namespace {

bool IsVote(const Message& m) {
  return m.type == MessageType::kVote || m.type == MessageType::kVoteResp ||
         m.type == MessageType::kPreVote || m.type == MessageType::kPreVoteResp;
}

bool Between(const Message& m, uint64_t a, uint64_t b) {
  return (m.from == a && m.to == b) || (m.from == b && m.to == a);
}

bool Carries(const Message& m, uint64_t index) {
  return std::any_of(m.entries.begin(), m.entries.end(),
                     [&](const Entry& e) { return e.index == index; });
}

// Delivers, oldest first, every message matching pred (also those that answers produce).
void DeliverAll(Cluster& c, const std::function<bool(const Message&)>& pred) {
  while (c.DeliverIf(pred)) {
  }
}

std::optional<uint64_t> Term(Cluster& c, uint64_t id, uint64_t index) {
  return TermAt(c.node(id).raft().log(), index);
}

uint64_t Committed(Cluster& c, uint64_t id) { return c.node(id).raft().log().committed(); }

// A run of ticks on every running member, delivering everything in between.
void RunTicks(Cluster& c, int ticks) {
  for (int i = 0; i < ticks; ++i) {
    c.TickAll();
    c.Settle();
  }
}

uint64_t TicksUntilLeader(Cluster& c, int max_ticks) {
  for (int i = 0; i < max_ticks && c.Leader() == 0; ++i) {
    c.TickAll();
    c.Settle();
  }
  return c.Leader();
}

// The Figure 8 cluster up to (c): five members, one entry per MsgApp. Returns with S1 leading
// term 4; index 7 ("a", term 2) is on S1, S2, S3 and index 8 (S1's no-op, term 4) on S1, S2.
// Indexes 1-5 are the bootstrap entries; 6 is S1's no-op of term 2.
class Figure8Test : public ::testing::Test {
 protected:
  Figure8Test() : c_({1, 2, 3, 4, 5}, MakeOptions(), 8) {}

  static Options MakeOptions() {
    Options o;
    o.raft.max_size_per_msg = 1;  // one entry per MsgApp
    return o;
  }

  void RunToC() {
    ASSERT_TRUE(c_.Campaign(1).ok());
    c_.Settle();
    ASSERT_EQ(c_.Leader(), 1u);
    ASSERT_EQ(c_.node(1).raft().term(), 2u);
    ASSERT_EQ(Committed(c_, 5), 6u);

    // (a) "S1 is leader and partially replicates the log entry at index 2" -- here index 7.
    c_.network().SetGroup(1, 1);
    c_.network().SetGroup(2, 1);
    ASSERT_TRUE(c_.Propose(1, "a").ok());
    c_.Settle();
    ASSERT_EQ(Term(c_, 2, 7), 2u);
    ASSERT_EQ(Term(c_, 3, 7), std::nullopt);

    // (b) "S1 crashes; S5 is elected leader for term 3 with votes from S3, S4, and itself, and
    // accepts a different entry at log index 2" -- its no-op at 7 and "b" at 8, on S5 only.
    c_.Crash(1);
    c_.network().Heal();
    c_.network().SetGroup(2, 1);
    ASSERT_TRUE(c_.Campaign(5).ok());
    DeliverAll(c_, IsVote);
    ASSERT_EQ(c_.Leader(), 5u);
    ASSERT_EQ(c_.node(5).raft().term(), 3u);
    ASSERT_TRUE(c_.Propose(5, "b").ok());
    c_.DropAll();

    // (c) "S5 crashes; S1 restarts, is elected leader, and continues replication. At this
    // point, the log entry from term 2 has been replicated on a majority of the servers, but
    // it is not committed."
    c_.Crash(5);
    c_.network().Heal();
    c_.Restart(1);
    ASSERT_TRUE(c_.Campaign(1).ok());  // term 3: S3 and S4 already voted for S5
    DeliverAll(c_, IsVote);
    ASSERT_NE(c_.Leader(), 1u);
    ASSERT_TRUE(c_.Campaign(1).ok());  // term 4
    DeliverAll(c_, IsVote);
    ASSERT_EQ(c_.Leader(), 1u);
    ASSERT_EQ(c_.node(1).raft().term(), 4u);
    c_.network().SetGroup(4, 1);
    // S3 gets index 7 but not S1's no-op at 8 (the first MsgApp carries 8 too, but S3
    // rejects it: it lacks 7); S2 gets 8.
    DeliverAll(c_, [this](const Message& m) {
      bool s3_would_take_8 = m.to == 3 && Carries(m, 8) && Term(c_, 3, 7).has_value();
      return Between(m, 1, 2) || (Between(m, 1, 3) && !s3_would_take_8);
    });
    c_.DropAll();
    ASSERT_EQ(Term(c_, 3, 7), 2u);
    ASSERT_EQ(Term(c_, 3, 8), std::nullopt);
    ASSERT_EQ(Term(c_, 2, 8), 4u);
    ASSERT_EQ(c_.node(1).raft().tracker().Get(3)->match, 7u);
    ASSERT_TRUE(c_.status().ok()) << c_.status();
  }

  Cluster c_;
};

// §5.4.2: "a leader cannot immediately conclude that an entry from a previous term is
// committed once it is stored on a majority of servers. Figure 8 illustrates a situation where
// an old log entry is stored on a majority of servers, yet can still be overwritten by a future
// leader."
TEST_F(Figure8Test, ALeaderCannotConcludeAnOldTermEntryIsCommittedFromAMajority) {
  RunToC();
  EXPECT_EQ(Committed(c_, 1), 6u) << "index 7 (term 2) is on S1, S2, S3 but must not commit";

  // (d) "If S1 crashes, S5 could be elected leader (with votes from S2, S3, and S4) and
  // overwrite the entry with its own entry from term 3." S2 holds S1's term-4 entry, so here
  // S3 and S4 elect S5.
  c_.Crash(1);
  c_.network().Heal();
  c_.Restart(5);
  ASSERT_TRUE(c_.Campaign(5).ok());  // term 4: S2 and S3 voted for S1
  DeliverAll(c_, IsVote);
  ASSERT_TRUE(c_.Campaign(5).ok());  // term 5
  DeliverAll(c_, IsVote);
  ASSERT_EQ(c_.Leader(), 5u);
  c_.Settle();
  for (uint64_t id : {2, 3, 4, 5}) {
    EXPECT_EQ(Term(c_, id, 7), 3u) << id;
    EXPECT_EQ(Committed(c_, id), 9u) << id;  // 7: S5's no-op of term 3, 8: "b", 9: no-op
  }
  c_.Restart(1);
  RunTicks(c_, 3);
  EXPECT_EQ(Term(c_, 1, 7), 3u) << "S1's uncommitted entry from term 2 is overwritten";
  EXPECT_EQ(c_.node(1).state_machine(), c_.node(5).state_machine());
  c_.CheckLogMatching();
  EXPECT_TRUE(c_.status().ok()) << c_.status();
}

// Figure 8 (e): "if S1 replicates an entry from its current term on a majority of the servers
// before crashing, as in (e), then this entry is committed (S5 cannot win an election). At
// this point all preceding entries in the log are committed as well."
TEST_F(Figure8Test, CommittingAnEntryOfItsOwnTermCommitsAllPrecedingEntries) {
  RunToC();
  c_.Tick(1);  // a heartbeat round: S3 answers, S1 sends it index 8
  DeliverAll(c_, [](const Message& m) { return Between(m, 1, 3); });
  EXPECT_EQ(Committed(c_, 1), 8u);
  c_.Crash(1);
  c_.network().Heal();
  c_.Restart(5);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c_.Campaign(5).ok());
    c_.Settle();
    EXPECT_NE(c_.Leader(), 5u) << "S5 must not win with a log missing committed entries";
  }
  c_.Restart(1);
  ASSERT_NE(TicksUntilLeader(c_, 100), 0u);
  ASSERT_NE(c_.Leader(), 5u);
  ASSERT_TRUE(c_.Propose(c_.Leader(), "after").ok());
  RunTicks(c_, 3);
  for (uint64_t id : {1, 2, 3, 4, 5}) {
    EXPECT_EQ(Term(c_, id, 7), 2u) << id;
    EXPECT_EQ(c_.node(id).state_machine(), c_.node(c_.Leader()).state_machine()) << id;
  }
  EXPECT_TRUE(c_.status().ok()) << c_.status();
}

// §5.1: "If a candidate or leader discovers that its term is out of date, it immediately
// reverts to follower state." §5.3: the new leader "forces the followers' logs to duplicate
// its own": the old leader's uncommitted entries are overwritten.
TEST(PartitionedLeaderTest, AnOldLeaderRevertsToFollowerAndItsUncommittedEntriesAreOverwritten) {
  Cluster c({1, 2, 3, 4, 5}, Options{}, 3);
  ASSERT_TRUE(c.Campaign(1).ok());
  c.Settle();
  ASSERT_EQ(c.Leader(), 1u);
  c.network().SetGroup(1, 1);
  c.network().SetGroup(2, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Propose(1, "stale" + std::to_string(i)).ok());
  c.Settle();
  uint64_t stale_last = c.node(1).raft().log().LastIndex();
  EXPECT_EQ(Committed(c, 1), stale_last - 3) << "a minority commits nothing";

  ASSERT_TRUE(c.Campaign(3).ok());
  c.Settle();
  ASSERT_EQ(c.node(3).raft().state(), StateType::kLeader);
  ASSERT_TRUE(c.Propose(3, "new").ok());
  c.Settle();
  EXPECT_EQ(c.node(1).raft().state(), StateType::kLeader) << "1 has not heard of term 3 yet";

  c.network().Heal();
  RunTicks(c, 2);
  EXPECT_EQ(c.node(1).raft().state(), StateType::kFollower);
  EXPECT_EQ(c.node(1).raft().lead(), 3u);
  for (uint64_t id : {1, 2}) {
    EXPECT_EQ(Term(c, id, stale_last - 2), c.node(3).raft().term()) << id;  // overwritten
    EXPECT_EQ(c.node(id).state_machine(), c.node(3).state_machine()) << id;
  }
  c.CheckLogMatching();
  EXPECT_TRUE(c.status().ok()) << c.status();
}

// Raft thesis §6.2 (check-quorum): "the leader steps down if an election timeout elapses
// without a successful round of heartbeats to a majority of its cluster". A partitioned
// leader gives up on its own, before it hears of a newer term.
TEST(PartitionedLeaderTest, WithCheckQuorumALeaderCutOffFromAMajorityStepsDownByItself) {
  Options o;
  o.raft.check_quorum = true;
  o.raft.pre_vote = true;
  Cluster c({1, 2, 3}, o, 5);
  ASSERT_TRUE(c.Campaign(1).ok());
  c.Settle();
  ASSERT_EQ(c.Leader(), 1u);
  c.network().SetGroup(1, 1);
  ASSERT_TRUE(c.Propose(1, "lost").ok());
  // The first check may still count the answers from before the cut; the second cannot.
  for (int i = 0; i < 2 * o.raft.election_tick; ++i) {
    c.Tick(1);
    c.Settle();
  }
  EXPECT_EQ(c.node(1).raft().state(), StateType::kFollower);
  EXPECT_EQ(c.node(1).raft().term(), 2u) << "it stepped down without hearing a newer term";

  uint64_t leader = TicksUntilLeader(c, 100);
  ASSERT_TRUE(leader == 2 || leader == 3) << leader;
  ASSERT_TRUE(c.Propose(leader, "kept").ok());
  c.network().Heal();
  RunTicks(c, 5);
  EXPECT_EQ(c.Leader(), leader) << "with pre-vote the old leader does not disrupt";
  EXPECT_EQ(c.node(1).state_machine(), c.node(leader).state_machine());
  c.CheckLogMatching();
  EXPECT_TRUE(c.status().ok()) << c.status();
}

// §6: "the leader ... steps down once the Cnew entry is committed" (a leader removed from the
// configuration). The sim shuts a removed member down once the removal is applied, as etcd's
// server does: the remaining members elect a new leader and go on.
TEST(RemovedLeaderTest, TheRemainingMembersElectANewLeaderAndGoOn) {
  for (bool check_quorum : {false, true}) {
    Options o;
    o.raft.check_quorum = check_quorum;
    Cluster c({1, 2, 3}, o, 7);
    ASSERT_TRUE(c.Campaign(1).ok());
    c.Settle();
    ASSERT_EQ(c.Leader(), 1u);
    ASSERT_TRUE(c.Propose(1, "before").ok());
    ASSERT_TRUE(c.ProposeConfChange(1, {.type = ConfChangeType::kRemoveNode, .node_id = 1}).ok());
    c.Settle();
    EXPECT_TRUE(c.node(1).removed());
    EXPECT_EQ(c.config().voters, (std::vector<uint64_t>{2, 3}));

    uint64_t leader = TicksUntilLeader(c, 100);
    ASSERT_TRUE(leader == 2 || leader == 3) << leader;
    ASSERT_TRUE(c.Propose(leader, "after").ok());
    RunTicks(c, 3);
    for (uint64_t id : {2, 3}) {
      EXPECT_EQ(c.node(id).state_machine(), c.node(leader).state_machine()) << id;
      EXPECT_EQ(c.node(id).state_machine().conf.voters, (std::vector<uint64_t>{2, 3})) << id;
    }
    EXPECT_TRUE(c.status().ok()) << c.status();
  }
}

// A restarted member whose state machine is older than its snapshot must restore the snapshot;
// raft refuses an applied index below it instead of aborting.
TEST(RestartTest, AnAppliedIndexBeforeTheSnapshotIsRefused) {
  MemoryStorage s;
  ASSERT_TRUE(s.ApplySnapshot({.data = "x",
                               .metadata = {.conf_state = {.voters = {1}}, .index = 10, .term = 2}})
                  .ok());
  ASSERT_TRUE(s.SetHardState({.term = 2, .commit = 10}).ok());
  Config c;
  c.id = 1;
  c.storage = &s;
  c.applied = 5;
  EXPECT_FALSE(RawNode::Open(c).ok());
  c.applied = 10;
  EXPECT_TRUE(RawNode::Open(c).ok());
}

}  // namespace
}  // namespace etcdpp::raft::sim
