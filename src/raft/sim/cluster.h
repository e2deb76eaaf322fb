#pragma once
// Test-only: a simulated Raft cluster -- members (node.h) on a simulated network (network.h),
// every step watched by the safety checker (checker.h). No threads, sockets or clocks: time is
// Tick(), the network is a list of messages in flight, and all randomness comes from the seed.
//
// Each input to a member (a tick, a message, a proposal, ...) is followed by the member
// handling its Ready as the server does: persist (WAL), send, apply, Advance -- with optional
// faults in between (a leader sending its appends before it persists, a crash in the middle).
// Members are added when a conf change adding them is first applied anywhere. A removed member
// shuts down for good (as etcd's server does; the transport then refuses it) once all
// remaining members applied its removal.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "raft/rawnode.h"
#include "raft/sim/checker.h"
#include "raft/sim/network.h"
#include "raft/sim/node.h"

namespace etcdpp::raft::sim {

struct Options {
  Config raft;  // id, storage, applied and seed are filled in per member
  // A leader sends its MsgApps before it persists their entries (Raft thesis §10.2.1).
  bool leader_sends_first = false;
  // Chance (per thousand Readies) of a crash after the send-first messages and before the WAL
  // write, or after the WAL write and before the other messages are sent.
  uint32_t crash_in_ready_per_mille = 0;
  // Chance (percent, per Ready) that the state machine is synced to disk; a restart may then
  // resume from it (raft gets the applied index) instead of the snapshot.
  uint32_t sync_state_machine_percent = 0;
  // Lost messages (dropped by a partition) make the sender's transport report the peer
  // unreachable.
  bool report_unreachable = true;
  // Keep a trace from the start (see EnableTrace).
  bool trace = false;
};

class Cluster {
 public:
  enum class Fate { kDeliver, kDrop, kDuplicate };

  // Members `ids` are bootstrapped together.
  Cluster(const std::vector<uint64_t>& ids, const Options& options, uint64_t seed);

  // Inputs. Each runs the member's Ready loop and the checks afterwards. Inputs to a member
  // that is down or removed are ignored (and return OK).
  void Tick(uint64_t id);
  void TickAll();
  [[nodiscard]] absl::Status Campaign(uint64_t id);
  [[nodiscard]] absl::Status Propose(uint64_t id, std::string data);
  [[nodiscard]] absl::Status ProposeConfChange(uint64_t id, const ConfChange& cc);
  void ReadIndex(uint64_t id, const std::string& ctx);
  void TransferLeader(uint64_t id, uint64_t transferee);
  // Snapshots `id`'s state machine and compacts its log, keeping `keep` entries before it.
  void CompactLog(uint64_t id, uint64_t keep);
  void Crash(uint64_t id);
  void Restart(uint64_t id, bool use_synced_state_machine = false);

  // The network. Deliver takes in-flight message i (0 is the oldest).
  void Deliver(size_t i, Fate fate = Fate::kDeliver);
  // Delivers the oldest message matching pred; false if there is none.
  bool DeliverIf(const std::function<bool(const Message&)>& pred);
  // Delivers messages oldest first until none is in flight (at most max_deliveries).
  void Settle(int max_deliveries = 100000);
  void DropAll() { (void)network_.TakeAll(); }
  Network& network() { return network_; }

  Node& node(uint64_t id) { return *nodes_.at(id); }
  bool Has(uint64_t id) const { return nodes_.count(id) > 0; }
  std::vector<uint64_t> ids() const;  // every member ever started, removed ones included
  // Running members that are not removed.
  std::vector<uint64_t> LiveIds() const;
  // The running leader of the highest term, or 0.
  uint64_t Leader() const;
  // The configuration as of the latest conf change any member applied.
  const ConfState& config() const { return config_; }
  bool IsMember(uint64_t id) const;
  Checker& checker() { return checker_; }
  const absl::Status& status() const { return checker_.status(); }
  Options& options() { return options_; }
  std::mt19937_64& rng() { return rng_; }

  // Runs the pairwise log comparison over the running members.
  void CheckLogMatching();
  // Keeps a readable trace of the inputs (off by default: it costs); with RAFT_SIM_ECHO set in
  // the environment it is also printed as it happens (to follow a run that aborts).
  void EnableTrace() { trace_enabled_ = true; }
  void Trace(const std::string& line);
  const std::vector<std::string>& trace() const { return trace_; }

 private:
  Node* Running(uint64_t id);  // nullptr if down, removed or unknown
  void Start(Node& n, bool use_synced_state_machine);
  void Bootstrap(Node& n);
  void AfterInput(Node& n);
  void HandleReadies(Node& n);
  bool HandleReady(Node& n);  // false if the member crashed inside
  void ApplyCommitted(Node& n, const Entry& e);
  void MergeSnapshot(Node& n, Message* m);
  void UpdateMembers();
  void ShutDownLeaving();
  void Lost(const Message& m, bool by_partition);

  Options options_;
  const uint64_t seed_;
  std::mt19937_64 rng_;
  std::vector<Peer> bootstrap_peers_;  // the founding members
  std::map<uint64_t, std::unique_ptr<Node>> nodes_;
  Network network_;
  Checker checker_;
  ConfState config_;
  uint64_t config_index_ = 0;
  bool members_changed_ = false;
  std::set<uint64_t> leaving_;  // removed from the configuration, still running
  bool trace_enabled_ = false;
  bool echo_trace_ = false;  // RAFT_SIM_ECHO set: the trace also goes to stderr as it grows
  std::vector<std::string> trace_;
};

}  // namespace etcdpp::raft::sim
