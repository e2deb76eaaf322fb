// Scenarios beyond the basic paper properties: back-off, snapshots, membership, check-quorum,
// pre-vote and leader transfer.

#include "gtest/gtest.h"
#include "raft/raft.h"
#include "raft/test_network.h"

namespace etcdpp::raft {
namespace {

using testing::Network;

int CountDelivered(Network& n, MessageType t, uint64_t to) {
  int c = 0;
  for (const Message& m : n.delivered()) c += m.type == t && m.to == to;
  return c;
}

// A follower with a long divergent tail from an old term rejects the first MsgApp; with the
// hint the leader skips the whole divergent term in one round trip instead of one per entry.
TEST(RaftScenarioTest, LogConflictBacksOffOneTermPerRoundTrip) {
  Network n({1, 2, 3});
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  ASSERT_EQ(n.Leader(), 1u);
  n.Isolate(1);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(n.node(1).Propose("stale").ok());
  n.Settle();
  ASSERT_TRUE(n.node(2).Campaign().ok());
  n.Settle();
  ASSERT_EQ(n.Leader(), 2u);
  ASSERT_TRUE(n.node(2).Propose("new").ok());
  n.Settle();
  n.Heal();
  n.delivered().clear();
  n.TickAll(2);
  EXPECT_EQ(n[1].applied, std::vector<std::string>{"new"});
  int rejects = 0;
  for (const Message& m : n.delivered()) rejects += m.type == MessageType::kAppResp && m.reject;
  EXPECT_LE(rejects, 2);
  EXPECT_EQ(n.raft(1).log().LastIndex(), n.raft(2).log().LastIndex());
}

// §7: "the leader must occasionally send snapshots to followers that lag behind ... when the
// leader has already discarded the next log entry that it needs to send to a follower."
TEST(RaftScenarioTest, LaggingFollowerCatchesUpFromSnapshot) {
  Network n({1, 2, 3});
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  n.Isolate(3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(n.node(1).Propose("v" + std::to_string(i)).ok());
  n.Settle();
  // The leader snapshots its state machine and compacts its log.
  uint64_t applied = n[1].applied_index;
  std::string data = absl::StrJoin(n[1].applied, ",");
  ASSERT_TRUE(n[1].storage->CreateSnapshot(applied, &n[1].conf_state, data).ok());
  ASSERT_TRUE(n[1].storage->Compact(applied).ok());
  n.Heal();
  n.delivered().clear();
  n.TickAll(3);
  EXPECT_EQ(CountDelivered(n, MessageType::kSnap, 3), 1);
  EXPECT_EQ(n[3].applied, n[1].applied);
  EXPECT_EQ(n[3].applied_index, applied);
  EXPECT_EQ(n[3].conf_state, (ConfState{.voters = {1, 2, 3}}));
  n.node(1).ReportSnapshot(3, /*failure=*/false);
  ASSERT_TRUE(n.node(1).Propose("after").ok());
  n.Settle();
  EXPECT_EQ(n[3].applied.back(), "after");
  EXPECT_EQ(n.raft(1).tracker().Get(3)->state, ProgressState::kReplicate);
}

TEST(RaftScenarioTest, ConfChangeAddsAndRemovesMembers) {
  Network n({1, 2, 3}, /*extra=*/{4});
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  ASSERT_TRUE(n.node(1).Propose("before").ok());
  ASSERT_TRUE(n.node(1).ProposeConfChange({.type = ConfChangeType::kAddNode, .node_id = 4}).ok());
  n.Settle();
  n.TickAll(2);
  for (uint64_t id : {1, 2, 3, 4}) {
    EXPECT_EQ(n[id].conf_state, (ConfState{.voters = {1, 2, 3, 4}})) << id;
    EXPECT_EQ(n[id].applied, std::vector<std::string>{"before"}) << id;
  }
  ASSERT_TRUE(
      n.node(1).ProposeConfChange({.type = ConfChangeType::kRemoveNode, .node_id = 3}).ok());
  n.Settle();
  EXPECT_EQ(n[1].conf_state, (ConfState{.voters = {1, 2, 4}}));
  // With 3 gone, {1, 2, 4} still commit although 4 is cut off (2 of 3).
  n.Isolate(3);
  n.Isolate(4);
  ASSERT_TRUE(n.node(1).Propose("after").ok());
  n.Settle();
  EXPECT_EQ(n[2].applied.back(), "after");
}

// A member added after the leader's last snapshot, whose log the leader compacted: the only
// snapshot it can be sent predates its own addition. It restores it (as etcd 3.4's raft does)
// and then gets the entries that add it; refusing it left the member asking for the same
// snapshot until the leader happened to take a newer one.
TEST(RaftScenarioTest, MemberAddedAfterTheLastSnapshotCatchesUpFromIt) {
  Network n({1, 2, 3}, /*extra=*/{4});
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(n.node(1).Propose("v" + std::to_string(i)).ok());
  n.Settle();
  uint64_t applied = n[1].applied_index;
  std::string data = absl::StrJoin(n[1].applied, ",");
  ASSERT_TRUE(n[1].storage->CreateSnapshot(applied, &n[1].conf_state, data).ok());
  ASSERT_TRUE(n[1].storage->Compact(applied).ok());
  ASSERT_TRUE(n.node(1).ProposeConfChange({.type = ConfChangeType::kAddNode, .node_id = 4}).ok());
  n.Settle();
  ASSERT_TRUE(n.node(1).Propose("after").ok());
  n.Settle();
  n.TickAll(3);
  n.node(1).ReportSnapshot(4, /*failure=*/false);
  n.Settle();
  n.TickAll(3);
  EXPECT_GE(CountDelivered(n, MessageType::kSnap, 4), 1);
  EXPECT_LE(CountDelivered(n, MessageType::kSnap, 4), 2) << "the snapshot was sent again and again";
  EXPECT_EQ(n[4].conf_state, (ConfState{.voters = {1, 2, 3, 4}}));
  ASSERT_FALSE(n[4].applied.empty());
  EXPECT_EQ(n[4].applied.back(), "after");
  EXPECT_EQ(n.raft(4).log().LastIndex(), n.raft(1).log().LastIndex());
}

TEST(RaftScenarioTest, LearnerReceivesEntriesButDoesNotVote) {
  Network n({1, 2, 3}, /*extra=*/{4});
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  ASSERT_TRUE(
      n.node(1).ProposeConfChange({.type = ConfChangeType::kAddLearnerNode, .node_id = 4}).ok());
  n.Settle();
  ASSERT_TRUE(n.node(1).Propose("x").ok());
  n.Settle();
  n.TickAll(2);
  EXPECT_EQ(n[4].applied, std::vector<std::string>{"x"});
  EXPECT_EQ(n[4].conf_state, (ConfState{.voters = {1, 2, 3}, .learners = {4}}));
  uint64_t term = n.raft(4).term();
  n.Isolate(4);
  n.TickAll(60);
  EXPECT_EQ(n.raft(4).term(), term);  // a learner never campaigns
}

// §6.2: a leader that cannot reach a quorum for an election timeout steps down.
TEST(RaftScenarioTest, CheckQuorumLeaderStepsDownWithoutQuorum) {
  Config c;
  c.check_quorum = true;
  Network n({1, 2, 3}, {}, c);
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  ASSERT_EQ(n.raft(1).state(), StateType::kLeader);
  n.TickAll(25);  // in contact: stays leader
  EXPECT_EQ(n.raft(1).state(), StateType::kLeader);
  n.Isolate(1);
  n.TickAll(25);
  EXPECT_EQ(n.raft(1).state(), StateType::kFollower);
}

// §9.6: with pre-vote, a member partitioned away does not bump its term, so it does not
// disrupt the leader when it returns.
TEST(RaftScenarioTest, PreVotePartitionedMemberDoesNotDisruptOnRejoin) {
  Config c;
  c.pre_vote = true;
  c.check_quorum = true;
  Network n({1, 2, 3}, {}, c);
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  ASSERT_EQ(n.raft(1).state(), StateType::kLeader);
  uint64_t term = n.raft(1).term();
  n.Down(3);
  for (int i = 0; i < 60; ++i) n.node(3).Tick();
  n.Settle();
  EXPECT_EQ(n.raft(3).term(), term);
  EXPECT_EQ(n.raft(3).state(), StateType::kPreCandidate);
  n.Heal();
  n.TickAll(3);
  EXPECT_EQ(n.raft(1).state(), StateType::kLeader);
  EXPECT_EQ(n.raft(1).term(), term);
  EXPECT_EQ(n.raft(3).lead(), 1u);
}

TEST(RaftScenarioTest, LeaderTransferHandsLeadershipToCaughtUpFollower) {
  Network n({1, 2, 3});
  ASSERT_TRUE(n.node(1).Campaign().ok());
  n.Settle();
  n.Isolate(3);
  ASSERT_TRUE(n.node(1).Propose("a").ok());
  n.Settle();
  n.Heal();
  // 3 lags; the leader catches it up first, then sends TimeoutNow.
  ASSERT_TRUE(n.node(1).TransferLeader(3).ok());
  EXPECT_TRUE(IsProposalDropped(n.node(1).Propose("during")));
  n.Settle();
  EXPECT_EQ(n.Leader(), 3u);
  EXPECT_EQ(n.raft(1).lead(), 3u);
  ASSERT_TRUE(n.node(3).Propose("b").ok());
  n.Settle();
  EXPECT_EQ(n[1].applied, (std::vector<std::string>{"a", "b"}));
}

TEST(RaftScenarioTest, FiveMembersElectExactlyOneLeaderFromTimeouts) {
  Network n({1, 2, 3, 4, 5});
  uint64_t leader = n.ElectLeader();
  ASSERT_NE(leader, 0u);
  n.Isolate(leader);
  uint64_t next = n.ElectLeader();
  ASSERT_NE(next, 0u);
  EXPECT_NE(next, leader);
  EXPECT_GT(n.raft(next).term(), n.raft(leader).term());
}

}  // namespace
}  // namespace etcdpp::raft
