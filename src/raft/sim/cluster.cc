#include "raft/sim/cluster.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "raft/util.h"

namespace etcdpp::raft::sim {
namespace {

bool Contains(const std::vector<uint64_t>& v, uint64_t id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

Cluster::Cluster(const std::vector<uint64_t>& ids, const Options& options, uint64_t seed)
    : options_(options), seed_(seed), rng_(seed) {
  echo_trace_ = std::getenv("RAFT_SIM_ECHO") != nullptr;
  trace_enabled_ = options.trace;
  for (uint64_t id : ids) bootstrap_peers_.push_back({.id = id});
  config_.voters = ids;
  std::sort(config_.voters.begin(), config_.voters.end());
  config_index_ = ids.size();
  for (uint64_t id : ids) {
    Node& n = *nodes_.emplace(id, std::make_unique<Node>(id)).first->second;
    Start(n, false);
    if (n.up()) Bootstrap(n);
  }
}

void Cluster::Bootstrap(Node& n) {
  absl::Status s = n.raw().Bootstrap(bootstrap_peers_);
  if (!s.ok()) checker_.Fail(absl::StrCat("bootstrap of ", n.id(), ": ", s.ToString()));
  AfterInput(n);
}

void Cluster::Start(Node& n, bool use_synced_state_machine) {
  // Raft mixes the member id into the seed.
  absl::Status s = n.Start(options_.raft, seed_, use_synced_state_machine);
  if (!s.ok()) checker_.Fail(absl::StrCat("member ", n.id(), " cannot start: ", s.ToString()));
}

Node* Cluster::Running(uint64_t id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end() || !it->second->up() || it->second->removed()) return nullptr;
  return it->second.get();
}

std::vector<uint64_t> Cluster::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, n] : nodes_) out.push_back(id);
  return out;
}

std::vector<uint64_t> Cluster::LiveIds() const {
  std::vector<uint64_t> out;
  for (const auto& [id, n] : nodes_) {
    if (n->up() && !n->removed()) out.push_back(id);
  }
  return out;
}

uint64_t Cluster::Leader() const {
  uint64_t leader = 0, term = 0;
  for (const auto& [id, n] : nodes_) {
    if (!n->up() || n->removed() || n->raft().state() != StateType::kLeader) continue;
    if (n->raft().term() >= term) {
      leader = id;
      term = n->raft().term();
    }
  }
  return leader;
}

bool Cluster::IsMember(uint64_t id) const {
  return Contains(config_.voters, id) || Contains(config_.learners, id);
}

void Cluster::Trace(const std::string& line) {
  if (!trace_enabled_) return;
  trace_.push_back(line);
  if (echo_trace_) std::cerr << line << "\n";
}

void Cluster::Tick(uint64_t id) {
  if (Node* n = Running(id)) {
    n->raw().Tick();
    AfterInput(*n);
  }
}

void Cluster::TickAll() {
  for (uint64_t id : LiveIds()) Tick(id);
}

absl::Status Cluster::Campaign(uint64_t id) {
  Node* n = Running(id);
  if (n == nullptr) return absl::OkStatus();
  absl::Status s = n->raw().Campaign();
  AfterInput(*n);
  return s;
}

absl::Status Cluster::Propose(uint64_t id, std::string data) {
  Node* n = Running(id);
  if (n == nullptr) return absl::OkStatus();
  absl::Status s = n->raw().Propose(std::move(data));
  AfterInput(*n);
  return s;
}

absl::Status Cluster::ProposeConfChange(uint64_t id, const ConfChange& cc) {
  Node* n = Running(id);
  if (n == nullptr) return absl::OkStatus();
  absl::Status s = n->raw().ProposeConfChange(cc);
  AfterInput(*n);
  return s;
}

void Cluster::ReadIndex(uint64_t id, const std::string& ctx) {
  Node* n = Running(id);
  if (n == nullptr) return;
  checker_.OnReadIssued(ctx);
  n->raw().ReadIndex(ctx);
  AfterInput(*n);
}

void Cluster::TransferLeader(uint64_t id, uint64_t transferee) {
  Node* n = Running(id);
  if (n == nullptr) return;
  (void)n->raw().TransferLeader(transferee);
  AfterInput(*n);
}

void Cluster::CompactLog(uint64_t id, uint64_t keep) {
  Node* n = Running(id);
  if (n == nullptr) return;
  uint64_t applied = n->state_machine().index;
  absl::Status s = n->CompactLog(applied > keep ? applied - keep : 0);
  if (!s.ok()) checker_.Fail(absl::StrCat("compaction on ", id, ": ", s.ToString()));
  AfterInput(*n);
}

void Cluster::Crash(uint64_t id) {
  if (Node* n = Running(id)) n->Crash();
}

void Cluster::Restart(uint64_t id, bool use_synced_state_machine) {
  auto it = nodes_.find(id);
  if (it == nodes_.end() || it->second->up() || it->second->removed()) return;
  Node& n = *it->second;
  bool bootstrap_member = std::any_of(bootstrap_peers_.begin(), bootstrap_peers_.end(),
                                      [&](const Peer& p) { return p.id == id; });
  bool empty = n.disk().IsEmpty();
  Start(n, use_synced_state_machine);
  if (!n.up()) return;
  // A founding member that crashed before its bootstrap reached the disk bootstraps again (as
  // etcd does with an empty data dir and --initial-cluster-state new). Joining instead would
  // be unsafe: applying the bootstrap entries one by one, it would see itself as the only
  // voter after the first.
  if (bootstrap_member && empty) {
    Bootstrap(n);
  } else {
    AfterInput(n);
  }
}

void Cluster::Deliver(size_t i, Fate fate) {
  if (trace_enabled_) {
    const Message& m = network_.at(i);
    Trace(absl::StrCat(fate == Fate::kDrop ? "drop " : (fate == Fate::kDuplicate ? "dup " : ""),
                       MessageTypeName(m.type), " ", m.from, "->", m.to, " term ", m.term,
                       " index ", m.index, " log_term ", m.log_term, " commit ", m.commit, " ents ",
                       m.entries.size(), m.reject ? " reject" : "",
                       m.snapshot.IsEmpty() ? "" : " snapshot"));
  }
  Message m = fate == Fate::kDuplicate ? network_.at(i) : network_.Take(i);
  if (fate == Fate::kDrop) {
    Lost(m, false);
    return;
  }
  Node* to = Running(m.to);
  Node* from = nodes_.count(m.from) ? nodes_.at(m.from).get() : nullptr;
  bool refused = from == nullptr || from->removed();  // the transport refuses removed members
  if (to == nullptr || refused || !network_.Connected(m.from, m.to)) {
    Lost(m, to != nullptr && !refused);
    return;
  }
  (void)to->raw().Step(m);
  AfterInput(*to);
  // The transport tells the sender that the snapshot went through.
  if (m.type == MessageType::kSnap) {
    if (Node* sender = Running(m.from)) {
      sender->raw().ReportSnapshot(m.to, /*failure=*/false);
      AfterInput(*sender);
    }
  }
}

void Cluster::Lost(const Message& m, bool by_partition) {
  Node* sender = Running(m.from);
  if (sender == nullptr) return;
  if (m.type == MessageType::kSnap) {
    sender->raw().ReportSnapshot(m.to, /*failure=*/true);
  } else if (by_partition && options_.report_unreachable) {
    sender->raw().ReportUnreachable(m.to);
  } else {
    return;
  }
  AfterInput(*sender);
}

bool Cluster::DeliverIf(const std::function<bool(const Message&)>& pred) {
  std::optional<size_t> i = network_.Find(pred);
  if (!i) return false;
  Deliver(*i);
  return true;
}

void Cluster::Settle(int max_deliveries) {
  for (int i = 0; i < max_deliveries && !network_.empty() && checker_.ok(); ++i) Deliver(0);
}

void Cluster::AfterInput(Node& n) {
  if (trace_enabled_ && n.up()) {
    const Raft& r = n.raft();
    Trace(absl::StrCat("    ", n.id(), ": term ", r.term(), " state ", static_cast<int>(r.state()),
                       " last ", r.log().LastIndex(), " commit ", r.log().committed(), " applied ",
                       n.state_machine().index));
  }
  HandleReadies(n);
  if (n.up()) checker_.AfterStep(n.id(), n.raft());
  if (members_changed_) UpdateMembers();
  if (!leaving_.empty()) ShutDownLeaving();
}

void Cluster::HandleReadies(Node& n) {
  while (n.up() && n.raw().HasReady() && checker_.ok()) {
    if (!HandleReady(n)) return;
  }
}

// As the server's node loop does, with the optional faults of Options.
bool Cluster::HandleReady(Node& n) {
  Ready rd = n.raw().GetReady();
  bool send_first =
      options_.leader_sends_first && n.raft().state() == StateType::kLeader && rng_() % 2 == 0;
  int crash = 0;  // 1: before the WAL write, 2: after it, before sending
  if (options_.crash_in_ready_per_mille > 0 && rng_() % 1000 < options_.crash_in_ready_per_mille) {
    crash = 1 + static_cast<int>(rng_() % 2);
  }
  std::vector<Message> later;
  for (Message& m : rd.messages) {
    if (m.type == MessageType::kSnap) MergeSnapshot(n, &m);
    if (send_first && m.type == MessageType::kApp) {
      network_.Send(std::move(m));
    } else {
      later.push_back(std::move(m));
    }
  }
  if (crash == 1) {
    Trace(absl::StrCat("  ", n.id(), " crashes before persisting"));
    n.Crash();
    return false;
  }
  checker_.OnReady(n.id(), n.raft(), rd);
  if (absl::Status s = n.Persist(rd); !s.ok()) {
    checker_.Fail(absl::StrCat("member ", n.id(), " cannot persist: ", s.ToString()));
    return false;
  }
  if (crash == 2) {
    Trace(absl::StrCat("  ", n.id(), " crashes after persisting"));
    n.Crash();
    return false;
  }
  for (Message& m : later) network_.Send(std::move(m));
  if (!rd.snapshot.IsEmpty()) {
    if (absl::Status s = n.ApplySnapshot(rd.snapshot); !s.ok()) {
      checker_.Fail(absl::StrCat("member ", n.id(), ": ", s.ToString()));
      return false;
    }
    checker_.OnApplied(n.id(), n.state_machine());
  }
  for (const Entry& e : rd.committed_entries) ApplyCommitted(n, e);
  if (options_.sync_state_machine_percent > 0 &&
      rng_() % 100 < options_.sync_state_machine_percent) {
    n.SyncStateMachine();
  }
  n.raw().Advance(rd);
  return true;
}

// Like etcd's createMergedSnapshotMessage: the transport sends the state machine as of now
// with the raft snapshot's metadata moved up to the applied index. Needed when the snapshot in
// storage predates the recipient's membership (it would refuse it); otherwise done half the
// time, so that stale snapshots get sent too.
void Cluster::MergeSnapshot(Node& n, Message* m) {
  const StateMachine& sm = n.state_machine();
  const ConfState& cs = m->snapshot.metadata.conf_state;
  bool member = std::find(cs.voters.begin(), cs.voters.end(), m->to) != cs.voters.end() ||
                std::find(cs.learners.begin(), cs.learners.end(), m->to) != cs.learners.end();
  if (sm.index <= m->snapshot.metadata.index || (member && rng_() % 2 == 0)) return;
  std::optional<uint64_t> term = TermAt(n.raft().log(), sm.index);
  if (!term) return;
  m->snapshot.data = EncodeSnapshotData(sm);
  m->snapshot.metadata = {.conf_state = sm.conf, .index = sm.index, .term = *term};
}

void Cluster::ApplyCommitted(Node& n, const Entry& e) {
  if (absl::Status s = n.Apply(e); !s.ok()) {
    checker_.Fail(s.ToString());
    return;
  }
  checker_.OnApplied(n.id(), n.state_machine());
  if (e.type == EntryType::kConfChange && e.index > config_index_) {
    config_ = n.state_machine().conf;
    config_index_ = e.index;
    members_changed_ = true;
  }
}

// Starts members that were added; members no longer in the configuration are leaving.
void Cluster::UpdateMembers() {
  members_changed_ = false;
  std::vector<uint64_t> added;
  for (const std::vector<uint64_t>* ids : {&config_.voters, &config_.learners}) {
    for (uint64_t id : *ids) {
      if (nodes_.count(id) == 0) added.push_back(id);
    }
  }
  for (auto& [id, n] : nodes_) {
    if (!n->removed() && !IsMember(id) && leaving_.insert(id).second) {
      Trace(absl::StrCat("  ", id, " is removed from the configuration"));
    }
  }
  for (uint64_t id : added) {
    Trace(absl::StrCat("  ", id, " joins"));
    Node& n = *nodes_.emplace(id, std::make_unique<Node>(id)).first->second;
    Start(n, false);
    if (n.up()) AfterInput(n);
  }
}

// A removed member shuts down for good once every remaining member applied the configuration
// without it. Sooner, the others might never learn that its removal committed: in {1, 2},
// leader 2 commits its own removal and stops; 1 holds the entry but not the commit, and still
// needs 2's vote.
void Cluster::ShutDownLeaving() {
  for (const std::vector<uint64_t>* ids : {&config_.voters, &config_.learners}) {
    for (uint64_t id : *ids) {
      auto it = nodes_.find(id);
      if (it == nodes_.end() || !it->second->up()) return;
      if (it->second->state_machine().index < config_index_) return;
    }
  }
  for (uint64_t id : leaving_) {
    Trace(absl::StrCat("  ", id, " shuts down"));
    nodes_.at(id)->set_removed();
    nodes_.at(id)->Crash();
  }
  leaving_.clear();
}

void Cluster::CheckLogMatching() {
  std::vector<std::pair<uint64_t, const Raft*>> members;
  for (uint64_t id : LiveIds()) members.push_back({id, &nodes_.at(id)->raft()});
  checker_.CheckLogMatching(members);
}

}  // namespace etcdpp::raft::sim
