// The raft node driver: election of a lone voter and what becomes of proposals (log order
// after the WAL holds them, waiting for a leader, abandoned after the request timeout, refused
// by raft). The fixture (raft_node_test_fixture.h) says how the node is driven.

#include "server/raftnode/raft_node.h"

#include <string>
#include <vector>

#include "server/raftnode/raft_node_test_fixture.h"

namespace etcdpp::server::raft_node_testing {
namespace {

// A lone voter campaigns as soon as it applied its bootstrap configuration and wins at once;
// the leadership is published to leader(), is_leader(), term() and WaitLeaderChange waiters.
TEST_F(RaftNodeTest, LoneVoterElectsItself) {
  ASSERT_NO_FATAL_FAILURE(NewNode({kSelf}));
  EXPECT_EQ(node_->leader(), 0u);
  EXPECT_FALSE(node_->is_leader());
  node_->Start();
  uint64_t lead = 0;
  ASSERT_TRUE(node_->WaitLeaderChange(0, kWait, &lead));
  EXPECT_EQ(lead, kSelf);
  EXPECT_EQ(node_->leader(), kSelf);
  // leader_ is published (and waiters woken) just before is_leader_ and leader_changes_.
  EXPECT_TRUE(Eventually([&] { return node_->is_leader() && node_->leader_changes() >= 1; }));
  EXPECT_GE(node_->term(), 2u);  // the bootstrap entries are at term 1; the election bumps it
  EXPECT_LE(node_->lead_elected_at(), std::chrono::steady_clock::now());
  EXPECT_EQ(node_->conf_state(), raft::ConfState{.voters = {kSelf}});
  // A lone member has nobody to talk to.
  EXPECT_TRUE(seen().sent.empty());
  EXPECT_TRUE(node_->fatal().ok());
}

// Proposals reach on_committed in the order they were made and in log order, and by then the
// WAL holds them with a commit index covering them: after Stop, a reopened WAL replays them.
TEST_F(RaftNodeTest, ProposalsCommitInOrderAfterTheWalHoldsThem) {
  ASSERT_NO_FATAL_FAILURE(StartLoneLeader());
  const std::vector<std::string> want = {"put-1", "put-2", "put-3", "put-4", "put-5"};
  for (size_t i = 0; i < want.size(); ++i) node_->Propose(100 + i, want[i]);
  ASSERT_TRUE(WaitCommitted(want.back()));
  node_->Stop();
  Seen s = seen();
  EXPECT_EQ(Proposals(s.committed), want);
  EXPECT_TRUE(s.dropped.empty());
  EXPECT_THAT(s.handed_on_unpersisted, IsEmpty());
  // The whole log, in order from the first bootstrap entry: nothing skipped, nothing repeated.
  ASSERT_FALSE(s.committed.empty());
  for (size_t i = 0; i < s.committed.size(); ++i) EXPECT_EQ(s.committed[i].index, i + 1);
  EXPECT_EQ(s.committed[0].type, raft::EntryType::kConfChange);
  EXPECT_EQ(node_->commit_index(), s.committed.back().index);

  ASSERT_TRUE(wal_->Close().ok());
  wal_.reset();
  auto w = wal::Wal::Open(Env::Default(), WalDir(), wal::WalSnapshot{});
  ASSERT_TRUE(w.ok()) << w.status();
  auto c = (*w)->ReadAll();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metadata, "metadata");
  EXPECT_GE(c->state.commit, s.committed.back().index);
  EXPECT_EQ(c->state.term, node_->term());
  EXPECT_EQ(c->state.vote, kSelf);
  // Every entry handed on, as it was handed on.
  ASSERT_GE(c->entries.size(), s.committed.size());
  for (size_t i = 0; i < s.committed.size(); ++i) EXPECT_EQ(c->entries[i], s.committed[i]);
}

// A proposal made while there is no leader waits in the node (Unqueue can take it back) and
// reaches raft once a leader is elected; one taken back never does.
TEST_F(RaftNodeTest, ProposalsWaitForALeader) {
  ASSERT_NO_FATAL_FAILURE(NewNode({kSelf, kPeer, kSilentPeer}));
  node_->Start();
  node_->Propose(1, "early");
  node_->Propose(2, "taken-back");
  EXPECT_EQ(node_->leader(), 0u);  // no peer answered yet: no leader, the proposals wait
  EXPECT_TRUE(node_->Unqueue(2));
  EXPECT_FALSE(node_->Unqueue(2));    // already taken back
  EXPECT_FALSE(node_->Unqueue(999));  // never proposed
  peer_answers_ = true;
  uint64_t lead = 0;
  ASSERT_TRUE(node_->WaitLeaderChange(0, kWait, &lead));
  EXPECT_EQ(lead, kSelf);
  ASSERT_TRUE(WaitCommitted("early"));
  EXPECT_FALSE(node_->Unqueue(1));  // handed to raft: too late to take back
  node_->Propose(3, "late");
  ASSERT_TRUE(WaitCommitted("late"));
  Seen s = seen();
  EXPECT_EQ(Proposals(s.committed), (std::vector<std::string>{"early", "late"}));
  EXPECT_TRUE(s.dropped.empty());
}

// With request_timeout_ms, a proposal that waited for a leader longer than that is given up
// silently (its waiter times out elsewhere, RequestTimeouts): it never reaches raft, even after
// a leader is elected, and on_dropped is not called for it.
TEST_F(RaftNodeTest, ProposalWaitingPastTheRequestTimeoutIsAbandoned) {
  constexpr int64_t kTimeoutMs = 500;
  ASSERT_NO_FATAL_FAILURE(NewNode({kSelf, kPeer, kSilentPeer}, {.request_timeout_ms = kTimeoutMs}));
  node_->Start();
  node_->Propose(1, "expired");
  const auto proposed = std::chrono::steady_clock::now();
  EXPECT_EQ(node_->leader(), 0u);
  // Let its deadline pass before a leader can exist (this waits; it asserts nothing on time).
  std::this_thread::sleep_until(proposed + std::chrono::milliseconds(kTimeoutMs + 50));
  EXPECT_EQ(node_->leader(), 0u);
  peer_answers_ = true;
  uint64_t lead = 0;
  ASSERT_TRUE(node_->WaitLeaderChange(0, kWait, &lead));
  EXPECT_EQ(lead, kSelf);
  EXPECT_FALSE(node_->Unqueue(1));  // gone from the queue
  node_->Propose(2, "fresh");
  ASSERT_TRUE(WaitCommitted("fresh"));
  Seen s = seen();
  EXPECT_EQ(Proposals(s.committed), std::vector<std::string>{"fresh"});
  EXPECT_TRUE(s.dropped.empty());
}

// A proposal raft refuses (here: the leader is handing leadership over) fails its waiter
// through on_dropped with raft's ProposalDropped error.
TEST_F(RaftNodeTest, ProposalRefusedByRaftIsDropped) {
  ASSERT_NO_FATAL_FAILURE(NewNode({kSelf, kPeer, kSilentPeer}));
  // kPeer never acts on TimeoutNow, so the transfer stays in progress for an election timeout;
  // the proposal made on seeing it reaches raft on the node loop's next turn, well within it.
  on_send_ = [this](const raft::Message& m) {
    if (m.type == MT::kTimeoutNow && m.to == kPeer && !proposed_on_send_.exchange(true)) {
      node_->Propose(7, "refused");
    }
  };
  peer_answers_ = true;
  node_->Start();
  uint64_t lead = 0;
  ASSERT_TRUE(node_->WaitLeaderChange(0, kWait, &lead));
  ASSERT_EQ(lead, kSelf);
  // The leader's empty entry is committed: kPeer is up to date, so the transfer starts at once.
  ASSERT_TRUE(WaitSeen([&](const Seen& s) {
    return !s.committed.empty() && s.committed.back().term == node_->term();
  }));
  node_->TransferLeader(kPeer);
  ASSERT_TRUE(WaitSeen([](const Seen& s) { return !s.dropped.empty(); }));
  Seen s = seen();
  ASSERT_EQ(s.dropped.size(), 1u);
  EXPECT_EQ(s.dropped[0].first, 7u);
  EXPECT_TRUE(raft::IsProposalDropped(s.dropped[0].second)) << s.dropped[0].second;
  EXPECT_FALSE(Contains(Proposals(s.committed), "refused"));
  EXPECT_FALSE(node_->Unqueue(7));  // it reached raft: nothing left in the queue
}

}  // namespace
}  // namespace etcdpp::server::raft_node_testing
