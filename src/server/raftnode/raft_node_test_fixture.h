#pragma once
// The fixture of the raft node driver tests (raft_node_test.cc, raft_node_conf_test.cc).
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
// type's namespace).
inline void PrintTo(const ConfState& cs, std::ostream* os) {
  *os << "{voters [" << absl::StrJoin(cs.voters, " ") << "], learners ["
      << absl::StrJoin(cs.learners, " ") << "]}";
}

}  // namespace etcdpp::raft

namespace etcdpp::server::raft_node_testing {

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
inline std::vector<std::string> Proposals(const std::vector<raft::Entry>& ents) {
  std::vector<std::string> out;
  for (const raft::Entry& e : ents) {
    if (e.type == raft::EntryType::kNormal && !e.data.empty()) out.push_back(e.data);
  }
  return out;
}

inline bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Polls `done` until it holds or kWait passes; false if it never held.
inline bool Eventually(const std::function<bool()>& done) {
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

}  // namespace etcdpp::server::raft_node_testing
