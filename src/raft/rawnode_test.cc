// RawNode on its own: a single voter, bootstrap, restart, and the API's edges.

#include "raft/rawnode.h"

#include "gtest/gtest.h"
#include "raft/confchange.h"
#include "raft/raft.h"

namespace etcdpp::raft {
namespace {

Config MakeConfig(uint64_t id, Storage* s, uint64_t applied = 0) {
  Config c;
  c.id = id;
  c.storage = s;
  c.applied = applied;
  c.seed = 7;
  return c;
}

// Acts on one Ready as the server does; returns it.
Ready Handle(RawNode& n, MemoryStorage& s) {
  Ready rd = n.GetReady();
  if (!rd.hard_state.IsEmpty()) EXPECT_TRUE(s.SetHardState(rd.hard_state).ok());
  EXPECT_TRUE(s.Append(rd.entries).ok());
  for (const Entry& e : rd.committed_entries) {
    if (e.type == EntryType::kConfChange) n.ApplyConfChange(*DecodeConfChange(e.data));
  }
  n.Advance(rd);
  return rd;
}

std::unique_ptr<RawNode> BootstrappedSingleVoter(MemoryStorage& s) {
  auto n = RawNode::Open(MakeConfig(1, &s));
  EXPECT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE((*n)->Bootstrap({{.id = 1}}).ok());
  Handle(**n, s);
  return *std::move(n);
}

TEST(RawNodeTest, BootstrapEntriesComeOutCommitted) {
  MemoryStorage s;
  auto n = *RawNode::Open(MakeConfig(1, &s));
  ASSERT_TRUE(n->Bootstrap({{.id = 1, .context = "a"}, {.id = 2}, {.id = 3}}).ok());
  ASSERT_TRUE(n->HasReady());
  Ready rd = n->GetReady();
  ASSERT_EQ(rd.entries.size(), 3u);
  EXPECT_EQ(rd.committed_entries, rd.entries);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rd.entries[i].index, i + 1);
    EXPECT_EQ(rd.entries[i].term, 1u);
    EXPECT_EQ(rd.entries[i].type, EntryType::kConfChange);
    auto cc = DecodeConfChange(rd.entries[i].data);
    ASSERT_TRUE(cc.ok());
    EXPECT_EQ(cc->node_id, i + 1);
    EXPECT_EQ(cc->type, ConfChangeType::kAddNode);
  }
  EXPECT_EQ(DecodeConfChange(rd.entries[0].data)->context, "a");
  EXPECT_EQ(rd.hard_state, (HardState{.term = 1, .vote = 0, .commit = 3}));
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.messages.empty());
}

TEST(RawNodeTest, BootstrapRefusesNonEmptyStorage) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  auto n2 = *RawNode::Open(MakeConfig(1, &s, 1));
  EXPECT_FALSE(n2->Bootstrap({{.id = 1}}).ok());
}

TEST(RawNodeTest, SingleVoterElectsItselfOnCampaignAndCommitsProposals) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  ASSERT_TRUE(n->Campaign().ok());
  Ready rd = Handle(*n, s);
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(*rd.soft_state, (SoftState{.lead = 1, .state = StateType::kLeader}));
  EXPECT_EQ(rd.hard_state, (HardState{.term = 2, .vote = 1, .commit = 2}));
  // The new leader's empty entry is committed by the single vote at once.
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0], (Entry{.term = 2, .index = 2}));
  EXPECT_EQ(rd.committed_entries, rd.entries);
  EXPECT_TRUE(rd.messages.empty());
  EXPECT_TRUE(rd.must_sync);

  ASSERT_TRUE(n->Propose("foo").ok());
  ASSERT_TRUE(n->Propose("bar").ok());
  rd = Handle(*n, s);
  EXPECT_FALSE(rd.soft_state.has_value());
  EXPECT_EQ(rd.hard_state.commit, 4u);
  ASSERT_EQ(rd.entries.size(), 2u);
  EXPECT_EQ(rd.entries[0], (Entry{.term = 2, .index = 3, .data = "foo"}));
  EXPECT_EQ(rd.entries[1], (Entry{.term = 2, .index = 4, .data = "bar"}));
  EXPECT_EQ(rd.committed_entries, rd.entries);
  EXPECT_TRUE(rd.messages.empty());
  EXPECT_FALSE(n->HasReady());
  EXPECT_EQ(n->Status().applied, 4u);
}

TEST(RawNodeTest, SingleVoterElectsItselfAfterElectionTimeout) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  for (int i = 0; i < 20 && n->Status().soft_state.state != StateType::kLeader; ++i) n->Tick();
  EXPECT_EQ(n->Status().soft_state.state, StateType::kLeader);
  EXPECT_EQ(n->Status().hard_state.term, 2u);
}

// Raft §6.2 (check-quorum): a leader steps down only when it has not heard from a quorum; a
// single voter is its own quorum and so keeps leading however long it runs.
TEST(RawNodeTest, SingleVoterWithCheckQuorumStaysLeader) {
  MemoryStorage s;
  Config c = MakeConfig(1, &s);
  c.check_quorum = true;
  c.pre_vote = true;
  auto n = *RawNode::Open(c);
  ASSERT_TRUE(n->Bootstrap({{.id = 1}}).ok());
  Handle(*n, s);
  ASSERT_TRUE(n->Campaign().ok());
  while (n->HasReady()) Handle(*n, s);
  ASSERT_EQ(n->Status().soft_state.state, StateType::kLeader);
  uint64_t term = n->Status().hard_state.term;
  for (int i = 0; i < 200; ++i) {
    n->Tick();
    while (n->HasReady()) Handle(*n, s);
  }
  EXPECT_EQ(n->Status().soft_state.state, StateType::kLeader);
  EXPECT_EQ(n->Status().hard_state.term, term);
}

TEST(RawNodeTest, RestartFromMemoryStorageKeepsTermVoteAndCommit) {
  MemoryStorage s;
  {
    auto n = BootstrappedSingleVoter(s);
    ASSERT_TRUE(n->Campaign().ok());
    Handle(*n, s);
    ASSERT_TRUE(n->Propose("a").ok());
    Handle(*n, s);
    ASSERT_TRUE(n->Propose("b").ok());
    Ready rd = n->GetReady();  // persisted, but the crash comes before applying "b"
    ASSERT_TRUE(s.SetHardState(rd.hard_state).ok());
    ASSERT_TRUE(s.Append(rd.entries).ok());
  }
  // The "server" applied up to index 3 ("a"); entry 4 comes out again.
  auto n = RawNode::Open(MakeConfig(1, &s, 3));
  ASSERT_TRUE(n.ok()) << n.status();
  BasicStatus st = (*n)->Status();
  EXPECT_EQ(st.hard_state, (HardState{.term = 2, .vote = 1, .commit = 4}));
  EXPECT_EQ(st.soft_state.state, StateType::kFollower);
  Ready rd = Handle(**n, s);
  EXPECT_TRUE(rd.entries.empty());
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].data, "b");
  // The bootstrap conf change (applied before the restart) was replayed: it can lead again.
  ASSERT_TRUE((*n)->Campaign().ok());
  rd = Handle(**n, s);
  EXPECT_EQ((*n)->Status().soft_state.state, StateType::kLeader);
  EXPECT_EQ(rd.hard_state.term, 3u);
}

TEST(RawNodeTest, RestartRefusesAppliedBeyondCommit) {
  MemoryStorage s;
  { auto n = BootstrappedSingleVoter(s); }
  EXPECT_FALSE(RawNode::Open(MakeConfig(1, &s, 5)).ok());
  EXPECT_FALSE(RawNode::Open(MakeConfig(0, &s)).ok());
}

TEST(RawNodeTest, ProposalWithoutLeaderIsDropped) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  absl::Status st = n->Propose("x");
  EXPECT_TRUE(IsProposalDropped(st)) << st;
}

TEST(RawNodeTest, StepRefusesLocalMessages) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  EXPECT_FALSE(n->Step({.type = MessageType::kHup, .from = 1}).ok());
  EXPECT_FALSE(n->Step({.type = MessageType::kAppResp, .from = 9, .term = 1}).ok());
}

TEST(RawNodeTest, ReadIndexOnSingleVoterAnswersImmediately) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  ASSERT_TRUE(n->Campaign().ok());
  Handle(*n, s);
  ASSERT_TRUE(n->Propose("x").ok());
  Handle(*n, s);
  n->ReadIndex("ctx1");
  ASSERT_TRUE(n->HasReady());
  Ready rd = Handle(*n, s);
  ASSERT_EQ(rd.read_states.size(), 1u);
  EXPECT_EQ(rd.read_states[0].index, 3u);
  EXPECT_EQ(rd.read_states[0].request_ctx, "ctx1");
}

TEST(RawNodeTest, SingleVoterConfChangeAddsLearner) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  ASSERT_TRUE(n->Campaign().ok());
  Handle(*n, s);
  ASSERT_TRUE(n->ProposeConfChange({.type = ConfChangeType::kAddLearnerNode, .node_id = 2}).ok());
  // A second change before the first is applied is turned into an empty entry.
  ASSERT_TRUE(n->ProposeConfChange({.type = ConfChangeType::kAddNode, .node_id = 3}).ok());
  Ready rd = n->GetReady();
  ASSERT_EQ(rd.committed_entries.size(), 2u);
  EXPECT_EQ(rd.committed_entries[0].type, EntryType::kConfChange);
  EXPECT_EQ(rd.committed_entries[1].type, EntryType::kNormal);
  ConfState cs = n->ApplyConfChange(*DecodeConfChange(rd.committed_entries[0].data));
  EXPECT_EQ(cs, (ConfState{.voters = {1}, .learners = {2}}));
  n->Advance(rd);
}

TEST(RawNodeTest, TransferLeaderToSelfIsNoOp) {
  MemoryStorage s;
  auto n = BootstrappedSingleVoter(s);
  ASSERT_TRUE(n->Campaign().ok());
  Handle(*n, s);
  EXPECT_TRUE(n->TransferLeader(1).ok());
  EXPECT_EQ(n->Status().soft_state.state, StateType::kLeader);
}

}  // namespace
}  // namespace etcdpp::raft
