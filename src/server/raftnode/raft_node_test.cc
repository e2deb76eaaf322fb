// The Raft node driver with a real raft::RawNode, raft::MemoryStorage and wal::Wal (in a temp
// dir), and no process or network: the transport is the `send` callback, which records the
// messages and may answer for peer 2 (a cooperative follower); peer 3 never answers. The
// applier is the `on_committed` callback. Guards: a lone voter elects itself; proposals reach
// the applier in log order only after the WAL holds them and a commit index covering them;
// proposals wait for a leader and are given up silently once their time passed; a proposal
// raft refuses fails through on_dropped; a candidate asks every peer for its vote; a WAL that
// cannot sync stops the node; conf changes reach conf_state() and ConfStateAt().

#include "server/raftnode/raft_node.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/env.h"
#include "common/fault_injection_env.h"
#include "common/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "raft/confchange.h"
#include "raft/raft.h"

namespace etcdpp::raft {

// Failure messages show a ConfState as {voters [1], learners [2]} (found by ADL: it lives in the
// type's namespace, with internal linkage).
static void PrintTo(const ConfState& cs, std::ostream* os) {
  *os << "{voters [" << absl::StrJoin(cs.voters, " ") << "], learners ["
      << absl::StrJoin(cs.learners, " ") << "]}";
}

}  // namespace etcdpp::raft

namespace etcdpp::server {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using MT = raft::MessageType;

constexpr uint64_t kSelf = 1;
constexpr uint64_t kPeer = 2;        // answers while peer_answers_ is set
constexpr uint64_t kSilentPeer = 3;  // never answers
constexpr int kElectionTicks = 10;
constexpr int64_t kTickMs = 10;
// Every wait is bounded by this; a test fails when its condition does not hold by then.
constexpr std::chrono::seconds kWait(10);

// The data of the proposals (non-empty normal entries) among `ents`, in order.
std::vector<std::string> Proposals(const std::vector<raft::Entry>& ents) {
  std::vector<std::string> out;
  for (const raft::Entry& e : ents) {
    if (e.type == raft::EntryType::kNormal && !e.data.empty()) out.push_back(e.data);
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Polls `done` until it holds or kWait passes; false if it never held.
bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class RaftNodeTest : public ::testing::Test {
 protected:
  // What the callbacks were handed, in order.
  struct Seen {
    std::vector<raft::Entry> committed;
    std::vector<std::pair<uint64_t, absl::Status>> dropped;
    std::vector<raft::ReadState> reads;
    std::vector<raft::Message> sent;
    // Entries handed on before the node had appended them to the MemoryStorage, or before the
    // storage's hard state committed them: Persist writes the WAL first, so neither may happen.
    std::vector<uint64_t> handed_on_unpersisted;
  };

  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    absl::StrCat("raft_node_test_", ::getpid(), "_",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(Env::Default()->RemoveAll(dir_).ok());
  }
  void TearDown() override {
    // Stopped first: until then the node thread's callbacks may use node_ (reset nulls it first).
    if (node_ != nullptr) node_->Stop();
    node_.reset();
    wal_.reset();
    EXPECT_TRUE(Env::Default()->RemoveAll(dir_).ok());
  }

  std::string WalDir() const { return JoinPath(dir_, "wal"); }

  // Member kSelf of a new cluster of `peers`, as EtcdServer::BootstrapNew makes it: a new WAL,
  // a RawNode configured as EtcdServer::NewRawNode does (pre-vote, check-quorum, heartbeat every
  // tick) and bootstrapped with `peers`. The node is not started.
  void NewNode(const std::vector<uint64_t>& peers, RaftNode::Options opts = {},
               Env* env = Env::Default()) {
    auto w = wal::Wal::Create(env, WalDir(), "metadata");
    ASSERT_TRUE(w.ok()) << w.status();
    wal_ = *std::move(w);
    raft::Config rc;
    rc.id = kSelf;
    rc.heartbeat_tick = 1;
    rc.election_tick = kElectionTicks;
    rc.storage = &storage_;
    rc.max_size_per_msg = 1 << 20;
    rc.max_inflight_msgs = 512;
    rc.check_quorum = true;
    rc.pre_vote = true;
    rc.seed = 1;
    auto raw = raft::RawNode::Open(rc);
    ASSERT_TRUE(raw.ok()) << raw.status();
    std::vector<raft::Peer> ps;
    for (uint64_t id : peers) ps.push_back({.id = id});
    ASSERT_TRUE((*raw)->Bootstrap(ps).ok());
    opts.id = kSelf;
    opts.tick_ms = kTickMs;
    node_ = std::make_unique<RaftNode>(opts, *std::move(raw), &storage_, wal_.get(), Callbacks());
  }

  // A started lone voter that has elected itself.
  void StartLoneLeader(Env* env = Env::Default()) {
    ASSERT_NO_FATAL_FAILURE(NewNode({kSelf}, {}, env));
    node_->Start();
    uint64_t lead = 0;
    ASSERT_TRUE(node_->WaitLeaderChange(0, kWait, &lead));
    ASSERT_EQ(lead, kSelf);
  }

  RaftNode::Callbacks Callbacks() {
    RaftNode::Callbacks cb;
    cb.on_committed = [this](std::vector<raft::Entry> ents) {
      raft::HardState hs;
      raft::ConfState cs;
      const bool hs_ok = storage_.InitialState(&hs, &cs).ok();
      absl::StatusOr<uint64_t> last = storage_.LastIndex();
      Record([&](Seen* s) {
        for (const raft::Entry& e : ents) {
          if (!hs_ok || !last.ok() || *last < e.index || hs.commit < e.index) {
            s->handed_on_unpersisted.push_back(e.index);
          }
        }
        s->committed.insert(s->committed.end(), ents.begin(), ents.end());
      });
    };
    cb.on_dropped = [this](uint64_t id, absl::Status st) {
      Record([&](Seen* s) { s->dropped.emplace_back(id, st); });
    };
    cb.on_read_state = [this](const raft::ReadState& rs) {
      Record([&](Seen* s) { s->reads.push_back(rs); });
    };
    cb.send = [this](std::vector<raft::Message> msgs) {
      Record([&](Seen* s) { s->sent.insert(s->sent.end(), msgs.begin(), msgs.end()); });
      for (const raft::Message& m : msgs) {
        if (on_send_) on_send_(m);
        AnswerAsPeer(m);
      }
    };
    return cb;
  }

  // Peer kPeer's answers while peer_answers_ is set, as an up-to-date follower's: it grants
  // (pre-)votes and acknowledges appends and heartbeats. Runs on the node thread.
  void AnswerAsPeer(const raft::Message& m) {
    if (!peer_answers_.load() || m.to != kPeer) return;
    raft::Message r;
    r.to = m.from;
    r.from = kPeer;
    r.term = m.term;
    switch (m.type) {
      case MT::kPreVote:
        r.type = MT::kPreVoteResp;
        break;
      case MT::kVote:
        r.type = MT::kVoteResp;
        break;
      case MT::kApp:
        r.type = MT::kAppResp;
        r.index = m.index + m.entries.size();
        break;
      case MT::kHeartbeat:
        r.type = MT::kHeartbeatResp;
        r.context = m.context;
        break;
      default:
        return;
    }
    node_->Step(std::move(r));
  }

  void Record(const std::function<void(Seen*)>& f) {
    {
      MutexLock l(&mu_);
      f(&seen_);
    }
    cv_.SignalAll();
  }
  // Waits until `done` holds of what the callbacks were handed, or kWait passes (false).
  bool WaitSeen(const std::function<bool(const Seen&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    MutexLock l(&mu_);
    while (!done(seen_)) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      cv_.WaitFor(&mu_, deadline - now);
    }
    return true;
  }
  bool WaitCommitted(const std::string& data) {
    return WaitSeen([&](const Seen& s) { return Contains(Proposals(s.committed), data); });
  }
  Seen seen() {
    MutexLock l(&mu_);
    return seen_;
  }

  std::string dir_;
  std::atomic<bool> peer_answers_{false};
  std::atomic<bool> proposed_on_send_{false};
  // Called (on the node thread) with each message sent, before kPeer answers it; set before
  // Start.
  std::function<void(const raft::Message&)> on_send_;
  Mutex mu_;
  CondVar cv_;
  Seen seen_;
  // Declared before the node, which uses them until it is destroyed.
  std::unique_ptr<FaultInjectionEnv> fault_env_;
  raft::MemoryStorage storage_;
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<RaftNode> node_;
};

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
}  // namespace etcdpp::server
