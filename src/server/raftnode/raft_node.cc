#include "server/raftnode/raft_node.h"

#include "server/metrics/metrics.h"

#include <algorithm>
#include <chrono>

#include "common/failpoint.h"
#include "common/status.h"
#include "raft/confchange.h"
#include "raft/raft.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

RaftNode::RaftNode(Options opts, std::unique_ptr<raft::RawNode> raw, raft::MemoryStorage* storage,
                   wal::Wal* wal, Callbacks cb)
    : opts_(opts), raw_(std::move(raw)), storage_(storage), wal_(wal), cb_(std::move(cb)) {
  // The configuration of the snapshot the storage starts from (empty without one); committed
  // conf changes after it are applied as they come.
  raft::HardState hs;
  (void)storage_->InitialState(&hs, &conf_state_);
  absl::StatusOr<uint64_t> first = storage_->FirstIndex();
  MutexLock l(loop_.mu());
  published_conf_ = conf_state_;
  conf_history_[first.ok() ? *first - 1 : 0] = conf_state_;
}

RaftNode::~RaftNode() { Stop(); }

void RaftNode::Start() {
  loop_.Start("etcdpp-raft", [this] { Loop(); });
}

void RaftNode::Stop() {
  loop_.Stop();
  {
    MutexLock l(&leader_mu_);
    leader_watch_stopped_ = true;
  }
  leader_cv_.SignalAll();
}

bool RaftNode::WaitLeaderChange(uint64_t known, std::chrono::nanoseconds timeout,
                                uint64_t* leader) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock l(&leader_mu_);
  for (;;) {
    *leader = leader_.load(std::memory_order_acquire);
    if (leader_watch_stopped_) return false;
    const auto now = std::chrono::steady_clock::now();
    if (*leader != known || now >= deadline) return true;
    leader_cv_.WaitFor(&leader_mu_, deadline - now);
  }
}

void RaftNode::Propose(uint64_t id, std::string data) {
  {
    MutexLock l(loop_.mu());
    proposals_.push_back({id, std::move(data), NewDeadline()});
  }
  loop_.Signal();
}

void RaftNode::ReadIndex(std::string request_ctx) {
  {
    MutexLock l(loop_.mu());
    read_requests_.push_back(std::move(request_ctx));
  }
  loop_.Signal();
}

void RaftNode::Step(raft::Message m) {
  {
    MutexLock l(loop_.mu());
    inbox_.push_back(std::move(m));
  }
  loop_.Signal();
}

void RaftNode::ProposeConfChange(uint64_t id, raft::ConfChange cc) {
  {
    MutexLock l(loop_.mu());
    conf_proposals_.push_back({id, std::move(cc), NewDeadline()});
  }
  loop_.Signal();
}

bool RaftNode::Unqueue(uint64_t id) {
  MutexLock l(loop_.mu());
  auto p = std::find_if(proposals_.begin(), proposals_.end(),
                        [id](const Proposal& x) { return x.id == id; });
  if (p != proposals_.end()) {
    proposals_.erase(p);
    return true;
  }
  auto c = std::find_if(conf_proposals_.begin(), conf_proposals_.end(),
                        [id](const ConfProposal& x) { return x.id == id; });
  if (c == conf_proposals_.end()) return false;
  conf_proposals_.erase(c);
  return true;
}

void RaftNode::TransferLeader(uint64_t transferee) {
  {
    MutexLock l(loop_.mu());
    transfer_to_ = transferee;
  }
  loop_.Signal();
}

void RaftNode::ReportUnreachable(uint64_t peer) {
  {
    MutexLock l(loop_.mu());
    reports_.push_back({peer, false, true});
  }
  loop_.Signal();
}

void RaftNode::ReportSnapshot(uint64_t peer, bool failure) {
  {
    MutexLock l(loop_.mu());
    reports_.push_back({peer, true, failure});
  }
  loop_.Signal();
}

std::map<uint64_t, uint64_t> RaftNode::Matches() const {
  MutexLock l(loop_.mu());
  return matches_;
}

raft::ConfState RaftNode::conf_state() const {
  MutexLock l(loop_.mu());
  return published_conf_;
}

raft::ConfState RaftNode::ConfStateAt(uint64_t index) const {
  MutexLock l(loop_.mu());
  auto it = conf_history_.upper_bound(index);
  if (it == conf_history_.begin()) return raft::ConfState{};
  return std::prev(it)->second;
}

void RaftNode::PruneConfHistory(uint64_t index) {
  MutexLock l(loop_.mu());
  auto it = conf_history_.upper_bound(index);
  if (it == conf_history_.begin()) return;
  conf_history_.erase(conf_history_.begin(), std::prev(it));
}

// Queued proposals count as input only once there is a leader to take them.
bool RaftNode::HasInputLocked() const {
  bool has_leader = leader_.load(std::memory_order_acquire) != 0;
  return (has_leader && (!proposals_.empty() || !conf_proposals_.empty())) ||
         !read_requests_.empty() || !inbox_.empty() || !reports_.empty() || transfer_to_ != 0;
}

RaftNode::Deadline RaftNode::NewDeadline() const {
  if (opts_.request_timeout_ms <= 0) return Deadline::max();
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.request_timeout_ms);
}

std::chrono::steady_clock::time_point RaftNode::lead_elected_at() const {
  return std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(lead_elected_ns_.load(std::memory_order_acquire)));
}

template <typename P>
void RaftNode::TakeProposals(std::vector<P>* queue, std::vector<P>* out) {
  Deadline now = std::chrono::steady_clock::now();
  std::erase_if(*queue, [now](const P& p) { return p.deadline <= now; });  // their waiters time out
  if (raw_->raft().lead() != 0) out->swap(*queue);
}

absl::Status RaftNode::fatal() const {
  MutexLock l(loop_.mu());
  return fatal_;
}

void RaftNode::Loop() {
  using Clock = std::chrono::steady_clock;
  auto next_tick = Clock::now() + std::chrono::milliseconds(opts_.tick_ms);
  for (int i = 0; i < opts_.advance_ticks; ++i) raw_->Tick();
  for (;;) {
    {
      MutexLock l(loop_.mu());
      while (!loop_.stopping() && !HasInputLocked() && loop_.WaitUntil(next_tick)) {
      }
      if (loop_.stopping()) return;
    }
    if (Clock::now() >= next_tick) {
      raw_->Tick();
      next_tick = Clock::now() + std::chrono::milliseconds(opts_.tick_ms);
    }
    DrainInputs();
    if (absl::Status st = HandleReadies(); !st.ok()) {
      SPDLOG_CRITICAL("raft node stopped: {}", st.ToString());
      MutexLock l(loop_.mu());
      fatal_ = st;
      return;
    }
  }
}

// Moves everything queued by other threads into the state machine, as one batch.
void RaftNode::DrainInputs() {
  std::vector<Proposal> proposals;
  std::vector<std::string> reads;
  std::vector<raft::Message> inbox;
  {
    MutexLock l(loop_.mu());
    reads.swap(read_requests_);
    inbox.swap(inbox_);
  }
  for (raft::Message& m : inbox) {
    if (absl::Status st = raw_->Step(m); !st.ok()) SPDLOG_DEBUG("raft step: {}", st.ToString());
  }
  {
    MutexLock l(loop_.mu());
    TakeProposals(&proposals_, &proposals);
  }
  for (Proposal& p : proposals) {
    if (absl::Status st = raw_->Propose(std::move(p.data)); !st.ok()) cb_.on_dropped(p.id, st);
  }
  for (std::string& ctx : reads) raw_->ReadIndex(std::move(ctx));
  DrainControl();
}

// Conf changes, leader transfers and the transport's reports.
void RaftNode::DrainControl() {
  std::vector<ConfProposal> ccs;
  std::vector<Report> reports;
  uint64_t transfer_to = 0;
  {
    MutexLock l(loop_.mu());
    TakeProposals(&conf_proposals_, &ccs);
    reports.swap(reports_);
    std::swap(transfer_to, transfer_to_);
  }
  for (const Report& r : reports) {
    if (r.snapshot) {
      raw_->ReportSnapshot(r.peer, r.failure);
    } else {
      raw_->ReportUnreachable(r.peer);
    }
  }
  for (ConfProposal& p : ccs) {
    if (absl::Status st = raw_->ProposeConfChange(p.cc); !st.ok()) cb_.on_dropped(p.id, st);
  }
  if (transfer_to != 0) {
    if (absl::Status st = raw_->TransferLeader(transfer_to); !st.ok()) {
      SPDLOG_WARN("leader transfer to {:x}: {}", transfer_to, st.ToString());
    }
  }
}

absl::Status RaftNode::HandleReadies() {
  while (raw_->HasReady()) {
    raft::Ready rd = raw_->GetReady();
    RETURN_NOT_OK(Persist(rd));
    if (rd.soft_state.has_value()) last_heartbeat_.clear();  // as etcd's td.Reset()
    ObserveHeartbeats(rd.messages);
    if (!rd.messages.empty() && cb_.send) {
      if (raw_->raft().state() == raft::StateType::kLeader) {
        ETCDPP_FAILPOINT(raftBeforeLeaderSend);
      } else {
        ETCDPP_FAILPOINT(raftBeforeFollowerSend);
      }
      cb_.send(std::move(rd.messages));
    }
    for (const raft::ReadState& rs : rd.read_states) cb_.on_read_state(rs);
    ApplyConfChanges(rd.committed_entries);
    // Advance reads the Ready; only then do the committed entries move on to the applier.
    ETCDPP_FAILPOINT(raftBeforeAdvance);
    raw_->Advance(rd);
    PublishState();  // leadership first, as etcd: the applier promotes the lessor on it
    if (!rd.snapshot.IsEmpty()) {
      commit_.store(rd.snapshot.metadata.index, std::memory_order_release);
      if (cb_.on_snapshot) cb_.on_snapshot(rd.snapshot);
    }
    if (!rd.committed_entries.empty()) {
      commit_.store(rd.committed_entries.back().index, std::memory_order_release);
      cb_.on_committed(std::move(rd.committed_entries));
    }
    PublishState();
    MaybeCampaignAlone();
  }
  return absl::OkStatus();
}

void RaftNode::ObserveHeartbeats(const std::vector<raft::Message>& msgs) {
  const auto now = std::chrono::steady_clock::now();
  const auto max_gap = std::chrono::milliseconds(2 * opts_.tick_ms);
  for (const raft::Message& m : msgs) {
    if (m.type != raft::MessageType::kHeartbeat) continue;
    auto [it, first] = last_heartbeat_.try_emplace(m.to, now);
    if (first) continue;
    const auto gap = now - it->second;
    it->second = now;
    if (gap <= max_gap) continue;
    SPDLOG_WARN(
        "leader failed to send out heartbeat on time; took too long, leader is overloaded likely "
        "from slow disk (to {:x}, heartbeat interval {}ms, expected-duration {}ms, exceeded "
        "{}ms)",
        m.to, opts_.tick_ms, 2 * opts_.tick_ms,
        std::chrono::duration_cast<std::chrono::milliseconds>(gap - max_gap).count());
    Metrics::Get().HeartbeatSendFailure();
  }
}

// WAL first (the durability log; one sync per Ready), then the in-memory log raft reads.
absl::Status RaftNode::Persist(const raft::Ready& rd) {
  if (!rd.snapshot.IsEmpty() && cb_.persist_snapshot) {
    ETCDPP_FAILPOINT_OR_RETURN(raftBeforeSaveSnap);
    RETURN_NOT_OK_PREPEND(cb_.persist_snapshot(rd.snapshot), "save snapshot");
    ETCDPP_FAILPOINT_OR_RETURN(raftAfterSaveSnap);
  }
  ETCDPP_FAILPOINT_OR_RETURN(raftBeforeSave);  // every Ready, as etcd's
  if (!rd.hard_state.IsEmpty() || !rd.entries.empty()) {
    absl::Time start = absl::Now();
    RETURN_NOT_OK_PREPEND(wal_->Save(rd.hard_state, rd.entries), "wal save");
    Metrics::Get().WalFsync(absl::Now() - start);
  }
  ETCDPP_FAILPOINT_OR_RETURN(raftAfterSave);
  if (!rd.hard_state.IsEmpty()) RETURN_NOT_OK(storage_->SetHardState(rd.hard_state));
  if (!rd.snapshot.IsEmpty()) {
    ETCDPP_FAILPOINT_OR_RETURN(raftBeforeApplySnap);
    RETURN_NOT_OK(storage_->ApplySnapshot(rd.snapshot));
    RestoreConf(rd.snapshot);
    ETCDPP_FAILPOINT_OR_RETURN(raftAfterApplySnap);
  }
  if (!rd.entries.empty()) RETURN_NOT_OK(storage_->Append(rd.entries));
  return absl::OkStatus();
}

void RaftNode::RestoreConf(const raft::Snapshot& snap) {
  conf_state_ = snap.metadata.conf_state;
  MutexLock l(loop_.mu());
  published_conf_ = conf_state_;
  conf_history_.clear();
  conf_history_[snap.metadata.index] = conf_state_;
}

void RaftNode::ApplyConfChanges(const std::vector<raft::Entry>& committed) {
  for (const raft::Entry& e : committed) {
    if (e.type != raft::EntryType::kConfChange) continue;
    absl::StatusOr<raft::ConfChange> cc = raft::DecodeConfChange(e.data);
    if (!cc.ok()) {
      SPDLOG_CRITICAL("undecodable conf change at index {}: {}", e.index, cc.status().ToString());
      continue;
    }
    conf_state_ = raw_->ApplyConfChange(*cc);
    {
      MutexLock l(loop_.mu());
      published_conf_ = conf_state_;
      conf_history_[e.index] = conf_state_;
    }
  }
}

// A member that is the only voter need not wait out an election timeout: it campaigns as soon
// as it knows the configuration (raft's own quorum logic then elects it at once).
void RaftNode::MaybeCampaignAlone() {
  if (campaigned_alone_ || conf_state_.voters.size() != 1 || conf_state_.voters[0] != opts_.id) {
    return;
  }
  campaigned_alone_ = true;
  if (raw_->Status().soft_state.state != raft::StateType::kLeader) {
    if (absl::Status st = raw_->Campaign(); !st.ok()) SPDLOG_WARN("campaign: {}", st.ToString());
  }
}

void RaftNode::PublishState() {
  raft::BasicStatus s = raw_->Status();
  term_.store(s.hard_state.term, std::memory_order_release);
  const uint64_t lead = s.soft_state.lead;
  const bool changed = lead != leader_.load(std::memory_order_acquire);  // written here only
  if (changed && lead != 0) {
    Metrics::Get().LeaderChanged();
    lead_elected_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count(),
                           std::memory_order_release);
    leader_changes_.fetch_add(1, std::memory_order_acq_rel);
  }
  bool leader = s.soft_state.state == raft::StateType::kLeader;
  is_leader_.store(leader, std::memory_order_release);
  // The leader last: a WaitLeaderChange waiter woken by it sees is_leader(), leader_changes()
  // and lead_elected_at() of the same leader.
  if (changed) {
    leader_.store(lead, std::memory_order_release);
    { MutexLock l(&leader_mu_); }  // a waiter that saw the old leader is waiting now
    leader_cv_.SignalAll();
  }
  MutexLock l(loop_.mu());
  matches_.clear();
  if (!leader) return;
  for (const auto& [id, pr] : raw_->raft().tracker().progress()) matches_[id] = pr.match;
}

}  // namespace etcdpp::server
