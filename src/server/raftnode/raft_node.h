#pragma once
// The Raft node driver: the one thread that owns the raft::RawNode. It ticks the clock, feeds
// proposals, ReadIndex requests and peer messages in, and for each Ready persists the hard
// state and entries to the WAL (one fdatasync per batch), appends them to the MemoryStorage,
// sends messages, applies conf changes to the raft configuration (the member list follows on the
// applier thread, in order with the other entries), hands committed entries to the applier and
// advances. Nothing else touches the RawNode.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "raft/rawnode.h"
#include "raft/storage.h"
#include "wal/wal.h"

namespace etcdpp::server {

class RaftNode {
 public:
  struct Callbacks {
    // Committed entries, in log order (runs on the node thread; must not block long).
    std::function<void(std::vector<raft::Entry>)> on_committed;
    // A proposal that raft refused (no leader): the waiter for `id` must fail with `st`.
    std::function<void(uint64_t id, absl::Status st)> on_dropped;
    // Answers to ReadIndex requests.
    std::function<void(const raft::ReadState&)> on_read_state;
    // Messages for other members (none on a single member).
    std::function<void(std::vector<raft::Message>)> send;
    // A snapshot from the leader: make it durable (snapshot file, WAL marker) before the
    // Ready's hard state and entries are saved; then, in order with the committed entries,
    // install it (on_snapshot runs before the entries that follow it are handed on).
    std::function<absl::Status(const raft::Snapshot&)> persist_snapshot;
    std::function<void(const raft::Snapshot&)> on_snapshot;
  };
  struct Options {
    uint64_t id = 0;
    int64_t tick_ms = 100;  // --heartbeat-interval
    // Ticks to advance at start (etcd's --initial-election-tick-advance): a fresh member of a
    // multi-member cluster then campaigns after 1..election ticks instead of election..2x.
    int advance_ticks = 0;
    // How long a proposal may wait for a leader before it is abandoned (its waiter times out
    // elsewhere, etcd's ReqTimeout); 0: forever. Proposals made while there is no leader wait
    // here, as etcd's raft node holds them until one is elected.
    int64_t request_timeout_ms = 0;
  };

  // None of the pointers is owned; all must outlive the node. Start() runs the thread.
  RaftNode(Options opts, std::unique_ptr<raft::RawNode> raw, raft::MemoryStorage* storage,
           wal::Wal* wal, Callbacks cb);
  ~RaftNode();

  void Start();
  void Stop();  // joins the node thread

  // Any thread. `id` tags the proposal so a drop can fail its waiter.
  void Propose(uint64_t id, std::string data);
  void ReadIndex(std::string request_ctx);
  void Step(raft::Message m);
  // A conf change proposal; a refusal fails the waiter for `id` through on_dropped.
  void ProposeConfChange(uint64_t id, raft::ConfChange cc);
  // Takes proposal `id` back if it still waits for a leader (never reached raft); true if so.
  bool Unqueue(uint64_t id);
  void TransferLeader(uint64_t transferee);
  // From the transport (any thread).
  void ReportUnreachable(uint64_t peer);
  void ReportSnapshot(uint64_t peer, bool failure);
  // Voters and learners as the raft configuration has them now.
  raft::ConfState conf_state() const;
  // The configuration as of log index `index` (the snapshotter's ConfState); any thread.
  raft::ConfState ConfStateAt(uint64_t index) const;
  // Forgets configurations older than the one in force at `index` (a snapshot was saved).
  void PruneConfHistory(uint64_t index);
  // On the leader: each member's match index (etcd's isLearnerReady); empty elsewhere.
  std::map<uint64_t, uint64_t> Matches() const;
  // True while this member is the leader.
  bool is_leader() const { return is_leader_.load(std::memory_order_acquire); }

  uint64_t term() const { return term_.load(std::memory_order_acquire); }
  uint64_t leader() const { return leader_.load(std::memory_order_acquire); }
  uint64_t commit_index() const { return commit_.load(std::memory_order_acquire); }
  // How many times a new (non-zero) leader was observed, and when the last one was (etcd's
  // leaderChanged notifier and leadElectedTime).
  uint64_t leader_changes() const { return leader_changes_.load(std::memory_order_acquire); }
  std::chrono::steady_clock::time_point lead_elected_at() const;
  // Blocks until the leader is other than `known` (a new leader, or none), `timeout` passes, or
  // the node stops (then false). `*leader` gets the leader at return. Any thread; replaces
  // polling leader() in a sleep loop (publish, leader transfer, promotion forwarding).
  bool WaitLeaderChange(uint64_t known, std::chrono::nanoseconds timeout, uint64_t* leader) const;
  // A fatal error on the node thread (e.g. the WAL cannot sync): the member must stop.
  [[nodiscard]] absl::Status fatal() const;

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  struct Proposal {
    uint64_t id;
    std::string data;
    Deadline deadline;
  };
  struct ConfProposal {
    uint64_t id;
    raft::ConfChange cc;
    Deadline deadline;
  };
  struct Report {
    uint64_t peer;
    bool snapshot;  // false: unreachable
    bool failure;
  };

  void Loop();  // the node thread: wait for input or the next tick, then drain Readies
  void DrainInputs();
  void DrainControl();
  Deadline NewDeadline() const;
  // Proposals wait (in the queue) while there is no leader; expired ones are dropped.
  template <typename P>
  void TakeProposals(std::vector<P>* queue, std::vector<P>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  bool HasInputLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  [[nodiscard]] absl::Status HandleReadies();
  [[nodiscard]] absl::Status Persist(const raft::Ready& rd);
  void ApplyConfChanges(const std::vector<raft::Entry>& committed);
  // The raft configuration became the snapshot's.
  void RestoreConf(const raft::Snapshot& snap);
  void MaybeCampaignAlone();
  void PublishState();
  // etcd's timeout detector on the leader's heartbeats: a heartbeat to a peer more than two
  // heartbeat intervals after the previous one counts as a send failure (node thread).
  void ObserveHeartbeats(const std::vector<raft::Message>& msgs);

  // Constant after construction.
  const Options opts_;
  const std::unique_ptr<raft::RawNode> raw_;  // touched by the node thread only
  raft::MemoryStorage* const storage_;
  wal::Wal* const wal_;
  const Callbacks cb_;

  // State of the node thread only.
  raft::ConfState conf_state_;
  bool campaigned_alone_ = false;
  std::map<uint64_t, std::chrono::steady_clock::time_point> last_heartbeat_;  // by peer

  LoopThread loop_;  // runs Loop(), the node thread; its mu() guards what follows
  std::vector<Proposal> proposals_ ABSL_GUARDED_BY(loop_.mu());
  std::vector<std::string> read_requests_ ABSL_GUARDED_BY(loop_.mu());
  std::vector<raft::Message> inbox_ ABSL_GUARDED_BY(loop_.mu());
  std::vector<ConfProposal> conf_proposals_ ABSL_GUARDED_BY(loop_.mu());
  std::vector<Report> reports_ ABSL_GUARDED_BY(loop_.mu());
  uint64_t transfer_to_ ABSL_GUARDED_BY(loop_.mu()) = 0;
  raft::ConfState published_conf_ ABSL_GUARDED_BY(loop_.mu());
  // Log index of each applied conf change (and of the snapshot) -> the configuration after it.
  std::map<uint64_t, raft::ConfState> conf_history_ ABSL_GUARDED_BY(loop_.mu());
  std::map<uint64_t, uint64_t> matches_ ABSL_GUARDED_BY(loop_.mu());
  absl::Status fatal_ ABSL_GUARDED_BY(loop_.mu());

  std::atomic<uint64_t> term_{0};
  std::atomic<uint64_t> leader_{0};
  std::atomic<uint64_t> commit_{0};
  std::atomic<bool> is_leader_{false};
  std::atomic<uint64_t> leader_changes_{0};
  std::atomic<int64_t> lead_elected_ns_{0};  // steady_clock, since its epoch
  // Leader-change notification (WaitLeaderChange); apart from loop_.mu() so that waiters never hold
  // up the node thread.
  mutable Mutex leader_mu_;
  mutable CondVar leader_cv_;
  bool leader_watch_stopped_ ABSL_GUARDED_BY(leader_mu_) = false;
};

}  // namespace etcdpp::server
