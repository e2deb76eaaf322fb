#pragma once
// Test-only: a tiny in-memory cluster of RawNodes. Each member has a MemoryStorage and an
// "applied" list (its state machine); Ready.messages are queued and delivered by Deliver(),
// with partitions and dropped links. No sockets, no clocks: time is Tick().

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "raft/confchange.h"
#include "raft/raft.h"
#include "raft/rawnode.h"
#include "raft/storage.h"

namespace etcdpp::raft::testing {

struct Member {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
  std::vector<std::string> applied;  // data of applied kNormal entries (non-empty ones)
  uint64_t applied_index = 0;
  ConfState conf_state;
};

class Network {
 public:
  // Members `ids` are bootstrapped together; `extra` members start empty (to be added later).
  explicit Network(std::vector<uint64_t> ids, std::vector<uint64_t> extra = {},
                   Config base = Config{})
      : base_(base) {
    std::vector<Peer> peers;
    for (uint64_t id : ids) peers.push_back({.id = id});
    for (uint64_t id : ids) {
      Add(id);
      EXPECT_TRUE(members_[id].node->Bootstrap(peers).ok());
    }
    for (uint64_t id : extra) Add(id);
    Settle();
  }

  void Add(uint64_t id) {
    Member& m = members_[id];
    m.storage = std::make_unique<MemoryStorage>();
    Open(id, 0);
  }

  // (Re)opens a member's RawNode on its storage, as a restart does.
  void Open(uint64_t id, uint64_t applied) {
    Member& m = members_[id];
    Config c = base_;
    c.id = id;
    c.storage = m.storage.get();
    c.applied = applied;
    c.seed = 42;
    auto node = RawNode::Open(c);
    ASSERT_TRUE(node.ok()) << node.status();
    m.node = *std::move(node);
  }

  Member& operator[](uint64_t id) { return members_[id]; }
  RawNode& node(uint64_t id) { return *members_[id].node; }
  const Raft& raft(uint64_t id) { return members_[id].node->raft(); }

  // Handles every member's Ready as a server would, queueing messages.
  bool ProcessReadies() {
    bool any = false;
    for (auto& [id, m] : members_) {
      while (m.node->HasReady()) {
        any = true;
        Ready rd = m.node->GetReady();
        readies_[id].push_back(rd);
        if (!rd.snapshot.IsEmpty()) {
          EXPECT_TRUE(m.storage->ApplySnapshot(rd.snapshot).ok());
          m.applied = absl::StrSplit(rd.snapshot.data, ',', absl::SkipEmpty());
          m.applied_index = rd.snapshot.metadata.index;
          m.conf_state = rd.snapshot.metadata.conf_state;
        }
        EXPECT_TRUE(m.storage->Append(rd.entries).ok());
        if (!rd.hard_state.IsEmpty()) EXPECT_TRUE(m.storage->SetHardState(rd.hard_state).ok());
        for (Message& msg : rd.messages) queue_.push_back(std::move(msg));
        for (const Entry& e : rd.committed_entries) Apply(m, e);
        m.node->Advance(rd);
      }
    }
    return any;
  }

  // Delivers the queued messages (those across a cut link are dropped).
  bool Deliver() {
    std::vector<Message> msgs = std::exchange(queue_, {});
    for (const Message& msg : msgs) {
      if (Cut(msg.from, msg.to) || members_.count(msg.to) == 0) continue;
      if (drop_types_.count(msg.type) > 0) continue;
      delivered_.push_back(msg);
      (void)members_[msg.to].node->Step(msg);
    }
    return !msgs.empty();
  }

  // Processes Readies and delivers messages until nothing moves.
  void Settle() {
    for (int i = 0; i < 1000; ++i) {
      bool a = ProcessReadies();
      bool b = Deliver();
      if (!a && !b) return;
    }
    ADD_FAILURE() << "network did not settle";
  }

  void TickAll(int n = 1) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, m] : members_) {
        if (!down_.count(id)) m.node->Tick();
      }
      Settle();
    }
  }

  // Ticks until some member leads (in a term greater than before); returns it or 0.
  uint64_t ElectLeader(int max_ticks = 200) {
    for (int i = 0; i < max_ticks; ++i) {
      if (uint64_t l = Leader(); l != 0) return l;
      TickAll();
    }
    return Leader();
  }

  // The leader among members not isolated; 0 if none or more than one.
  uint64_t Leader() {
    uint64_t leader = 0;
    for (auto& [id, m] : members_) {
      if (isolated_.count(id) || m.node->raft().state() != StateType::kLeader) continue;
      if (leader != 0) return 0;
      leader = id;
    }
    return leader;
  }

  void Isolate(uint64_t id) { isolated_.insert(id); }
  void CutLink(uint64_t a, uint64_t b) { cut_.insert({std::min(a, b), std::max(a, b)}); }
  void Heal() {
    isolated_.clear();
    cut_.clear();
  }
  void DropType(MessageType t) { drop_types_.insert(t); }
  void Down(uint64_t id) {
    down_.insert(id);
    Isolate(id);
  }

  std::map<uint64_t, std::vector<Ready>>& readies() { return readies_; }
  std::vector<Message>& delivered() { return delivered_; }
  std::map<uint64_t, Member>& members() { return members_; }

 private:
  bool Cut(uint64_t a, uint64_t b) const {
    return isolated_.count(a) || isolated_.count(b) || cut_.count({std::min(a, b), std::max(a, b)});
  }

  void Apply(Member& m, const Entry& e) {
    m.applied_index = e.index;
    if (e.type == EntryType::kConfChange) {
      absl::StatusOr<ConfChange> cc = DecodeConfChange(e.data);
      ASSERT_TRUE(cc.ok()) << cc.status();
      m.conf_state = m.node->ApplyConfChange(*cc);
    } else if (!e.data.empty()) {
      m.applied.push_back(e.data);
    }
  }

  Config base_;
  std::map<uint64_t, Member> members_;
  std::vector<Message> queue_;
  std::vector<Message> delivered_;
  std::set<uint64_t> isolated_;
  std::set<uint64_t> down_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::set<MessageType> drop_types_;
  std::map<uint64_t, std::vector<Ready>> readies_;
};

}  // namespace etcdpp::raft::testing
