// The raft node driver: votes, leader-change waits, ReadIndex, a WAL that cannot sync, and
// conf changes in the raft configuration and its history (fixture: raft_node_test_fixture.h).

#include "server/raftnode/raft_node.h"

#include <string>
#include <vector>

#include "server/raftnode/raft_node_test_fixture.h"

namespace etcdpp::server::raft_node_testing {
namespace {

// A member of a three-member cluster that hears from no leader campaigns: it sends a pre-vote
// request (pre_vote is on, as in the server) to each other voter through `send`, and no more
// than that; answered by one peer, it asks for real votes, wins with that peer's vote and
// starts replicating to both peers.
TEST_F(RaftNodeTest, CandidateAsksEveryPeerForItsVote) {
  ASSERT_NO_FATAL_FAILURE(NewNode({kSelf, kPeer, kSilentPeer}));
  node_->Start();
  auto requests_to = [](const Seen& s, MT type) {
    std::vector<uint64_t> to;
    for (const raft::Message& m : s.sent) {
      if (m.type == type && std::find(to.begin(), to.end(), m.to) == to.end()) to.push_back(m.to);
    }
    return to;
  };
  ASSERT_TRUE(WaitSeen([&](const Seen& s) { return requests_to(s, MT::kPreVote).size() == 2; }));
  Seen s = seen();
  EXPECT_THAT(requests_to(s, MT::kPreVote), UnorderedElementsAre(kPeer, kSilentPeer));
  for (const raft::Message& m : s.sent) {
    // Nothing but pre-votes before any answer: a pre-candidate neither votes nor bumps its term.
    EXPECT_EQ(m.type, MT::kPreVote);
    EXPECT_EQ(m.from, kSelf);
    EXPECT_EQ(m.term, 2u);      // the term it would campaign in
    EXPECT_EQ(m.index, 3u);     // its log: the three bootstrap entries,
    EXPECT_EQ(m.log_term, 1u);  // at term 1
  }
  EXPECT_EQ(node_->leader(), 0u);
  EXPECT_EQ(node_->term(), 1u);

  // Play kPeer: grant the pre-vote seen, and everything after it.
  peer_answers_ = true;
  node_->Step(raft::Message{.type = MT::kPreVoteResp, .to = kSelf, .from = kPeer, .term = 2});
  uint64_t lead = 0;
  ASSERT_TRUE(node_->WaitLeaderChange(0, kWait, &lead));
  EXPECT_EQ(lead, kSelf);
  EXPECT_GE(node_->term(), 2u);
  ASSERT_TRUE(WaitSeen([&](const Seen& x) { return requests_to(x, MT::kApp).size() == 2; }));
  s = seen();
  EXPECT_THAT(requests_to(s, MT::kVote), UnorderedElementsAre(kPeer, kSilentPeer));
  EXPECT_THAT(requests_to(s, MT::kApp), UnorderedElementsAre(kPeer, kSilentPeer));
}

// WaitLeaderChange returns true with the unchanged leader when its timeout passes, and false
// (also to a waiter already blocked) once the node stops.
TEST_F(RaftNodeTest, WaitLeaderChangeEndsOnTimeoutAndOnStop) {
  ASSERT_NO_FATAL_FAILURE(NewNode({kSelf, kPeer, kSilentPeer}));
  node_->Start();
  uint64_t lead = 99;
  EXPECT_TRUE(node_->WaitLeaderChange(0, std::chrono::milliseconds(20), &lead));
  EXPECT_EQ(lead, 0u);
  auto waiter = std::async(std::launch::async, [&] {
    uint64_t l = 0;
    return node_->WaitLeaderChange(0, std::chrono::hours(1), &l);
  });
  node_->Stop();
  ASSERT_EQ(waiter.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(waiter.get());
  EXPECT_FALSE(node_->WaitLeaderChange(0, kWait, &lead));
}

// A ReadIndex request on a lone leader is answered through on_read_state with its context and
// a read index no lower than what was committed when it was asked.
TEST_F(RaftNodeTest, ReadIndexIsAnsweredOnTheLeader) {
  ASSERT_NO_FATAL_FAILURE(StartLoneLeader());
  node_->Propose(1, "put");
  ASSERT_TRUE(WaitCommitted("put"));
  const uint64_t committed = node_->commit_index();
  node_->ReadIndex("read-1");
  ASSERT_TRUE(WaitSeen([](const Seen& s) { return !s.reads.empty(); }));
  Seen s = seen();
  ASSERT_EQ(s.reads.size(), 1u);
  EXPECT_EQ(s.reads[0].request_ctx, "read-1");
  EXPECT_GE(s.reads[0].index, committed);
}

// A WAL that cannot sync is fatal: fatal() reports the failed save, and the entry whose save
// failed is never handed to the applier (the node persists before it hands on), nor anything
// proposed later.
TEST_F(RaftNodeTest, WalSyncFailureIsFatal) {
  fault_env_ = std::make_unique<FaultInjectionEnv>(Env::Default());
  ASSERT_NO_FATAL_FAILURE(StartLoneLeader(fault_env_.get()));
  const int syncs = fault_env_->sync_count();
  node_->Propose(1, "kept");
  ASSERT_TRUE(WaitCommitted("kept"));
  // Its save is over (it is, when it was handed on after it): the next sync is the next save's.
  ASSERT_TRUE(Eventually([&] { return fault_env_->sync_count() > syncs; }));
  EXPECT_TRUE(node_->fatal().ok());
  fault_env_->FailNextSync();
  node_->Propose(2, "lost");
  ASSERT_TRUE(Eventually([&] { return !node_->fatal().ok(); }));
  EXPECT_THAT(std::string(node_->fatal().message()), HasSubstr("wal save"));
  node_->Propose(3, "after");
  node_->Stop();  // the node thread ended at the failure
  Seen s = seen();
  EXPECT_EQ(Proposals(s.committed), std::vector<std::string>{"kept"});
  EXPECT_TRUE(s.dropped.empty());
  EXPECT_THAT(s.handed_on_unpersisted, IsEmpty());
}

// A committed conf change reaches the raft configuration (conf_state()) and the configuration
// history: ConfStateAt answers with the configuration in force at each index, and
// PruneConfHistory forgets only what is older than the configuration in force at its index.
TEST_F(RaftNodeTest, ConfChangeReachesConfStateAndItsHistory) {
  ASSERT_NO_FATAL_FAILURE(StartLoneLeader());
  const raft::ConfState before{.voters = {kSelf}};
  const raft::ConfState after{.voters = {kSelf}, .learners = {kPeer}};
  EXPECT_EQ(node_->conf_state(), before);
  node_->ProposeConfChange(
      5, raft::ConfChange{.type = raft::ConfChangeType::kAddLearnerNode, .node_id = kPeer});
  uint64_t cc_index = 0;
  ASSERT_TRUE(WaitSeen([&](const Seen& s) {
    for (const raft::Entry& e : s.committed) {
      if (e.type != raft::EntryType::kConfChange) continue;
      auto cc = raft::DecodeConfChange(e.data);
      if (cc.ok() && cc->node_id == kPeer) {
        cc_index = e.index;
        return true;
      }
    }
    return false;
  }));
  // Applied to the configuration before the entry was handed on.
  EXPECT_EQ(node_->conf_state(), after);
  EXPECT_EQ(node_->ConfStateAt(0), raft::ConfState{});  // before the bootstrap entry
  EXPECT_EQ(node_->ConfStateAt(1), before);             // the bootstrap entry
  EXPECT_EQ(node_->ConfStateAt(cc_index - 1), before);
  EXPECT_EQ(node_->ConfStateAt(cc_index), after);
  EXPECT_EQ(node_->ConfStateAt(cc_index + 1000), after);
  // The leader tracks the learner (Matches) and talks to it.
  EXPECT_TRUE(Eventually([&] { return node_->Matches().count(kPeer) == 1; }));
  EXPECT_GE(node_->Matches()[kSelf], cc_index);
  ASSERT_TRUE(WaitSeen([](const Seen& s) {
    return std::any_of(s.sent.begin(), s.sent.end(),
                       [](const raft::Message& m) { return m.to == kPeer; });
  }));
  EXPECT_TRUE(seen().dropped.empty());

  node_->PruneConfHistory(cc_index - 1);  // the bootstrap configuration is still in force there
  EXPECT_EQ(node_->ConfStateAt(cc_index - 1), before);
  EXPECT_EQ(node_->ConfStateAt(cc_index), after);
  node_->PruneConfHistory(cc_index);
  EXPECT_EQ(node_->ConfStateAt(cc_index), after);
  EXPECT_EQ(node_->ConfStateAt(cc_index - 1), raft::ConfState{});  // forgotten
}

}  // namespace
}  // namespace etcdpp::server::raft_node_testing
