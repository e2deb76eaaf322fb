// The leader's half of the state machine: proposals, replication and flow control, commit,
// heartbeats, ReadIndex and leader transfer.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "raft/raft.h"
#include "raft/storage.h"
#include "raft/util.h"

namespace etcdpp::raft {

absl::Status Raft::StepLeader(const Message& m) {
  // Messages that need no Progress of the sender.
  switch (m.type) {
    case MessageType::kBeat:
      BcastHeartbeat();
      return absl::OkStatus();
    case MessageType::kCheckQuorum:
      if (!tracker_.QuorumActive()) {
        BecomeFollower(term_, 0);  // §6.2: step down without hearing from a quorum
      }
      // Mark everyone inactive for the next round (the leader itself is always active).
      tracker_.Visit([&](uint64_t id, Progress& pr) { pr.recent_active = id == id_; });
      return absl::OkStatus();
    case MessageType::kProp:
      return StepLeaderPropose(m);
    case MessageType::kReadIndex:
      StepLeaderReadIndex(m);
      return absl::OkStatus();
    default:
      break;
  }
  Progress* pr = tracker_.Get(m.from);
  if (pr == nullptr) return absl::OkStatus();
  switch (m.type) {
    case MessageType::kAppResp:
      HandleAppendResponse(m, pr);
      break;
    case MessageType::kHeartbeatResp:
      HandleHeartbeatResponse(m, pr);
      break;
    case MessageType::kSnapStatus:
      if (pr->state != ProgressState::kSnapshot) break;
      if (m.reject) pr->pending_snapshot = 0;
      pr->BecomeProbe();
      // Wait for the next heartbeat's response before probing again.
      pr->probe_sent = true;
      break;
    case MessageType::kUnreachable:
      // Optimistic replication to an unreachable follower would only lose messages.
      if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
      break;
    case MessageType::kTransferLeader:
      HandleTransferLeader(m, pr);
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status Raft::StepLeaderPropose(const Message& m) {
  RAFT_CHECK(!m.entries.empty(), "stepped empty MsgProp");
  // Removed from the configuration, or handing leadership over: refuse.
  if (tracker_.Get(id_) == nullptr || lead_transferee_ != 0) return ProposalDroppedError();
  std::vector<Entry> ents = m.entries;
  for (size_t i = 0; i < ents.size(); ++i) {
    if (ents[i].type != EntryType::kConfChange) continue;
    if (pending_conf_index_ > log_->applied()) {
      // One change at a time: the previous one is not applied yet. Keep the slot, drop the
      // change (the proposer learns through its apply loop that it never happened).
      ents[i] = Entry{.type = EntryType::kNormal};
    } else {
      pending_conf_index_ = log_->LastIndex() + i + 1;
    }
  }
  if (!AppendEntry(std::move(ents))) return ProposalDroppedError();
  BcastAppend();
  return absl::OkStatus();
}

void Raft::StepLeaderReadIndex(const Message& m) {
  if (tracker_.IsSingleton()) {
    SendReadIndexResponse(m, log_->committed());
    return;
  }
  // §6.4: a new leader does not know the commit index until it committed an entry of its term.
  if (!CommittedEntryInCurrentTerm()) {
    pending_read_index_messages_.push_back(m);
    return;
  }
  read_only_.AddRequest(log_->committed(), m);
  // The leader acknowledges its own request.
  read_only_.RecvAck(id_, m.entries[0].data);
  for (uint64_t id : tracker_.VoterIds()) {
    if (id != id_) SendHeartbeat(id, m.entries[0].data);
  }
}

void Raft::SendReadIndexResponse(const Message& req, uint64_t index) {
  if (req.from == 0 || req.from == id_) {
    read_states_.push_back({.index = index, .request_ctx = req.entries[0].data});
  } else {
    Send({.type = MessageType::kReadIndexResp,
          .to = req.from,
          .index = index,
          .entries = req.entries});
  }
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_->TermOrZero(log_->committed()) == term_;
}

void Raft::ReleasePendingReadIndexMessages() {
  if (!CommittedEntryInCurrentTerm()) return;
  std::vector<Message> msgs = std::exchange(pending_read_index_messages_, {});
  for (const Message& m : msgs) StepLeaderReadIndex(m);
}

void Raft::HandleAppendResponse(const Message& m, Progress* pr) {
  pr->recent_active = true;
  if (m.reject) {
    // Fast back-off: the follower told us the last index (and its term) at or below the
    // rejected one that might match; skip the whole conflicting term in one round trip.
    uint64_t next_probe = m.reject_hint;
    if (m.log_term > 0) next_probe = log_->FindConflictByTerm(m.reject_hint, m.log_term).first;
    if (pr->MaybeDecrTo(m.index, next_probe)) {
      if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
      SendAppend(m.from);
    }
    return;
  }
  bool old_paused = pr->IsPaused();
  if (!pr->MaybeUpdate(m.index)) return;
  switch (pr->state) {
    case ProgressState::kProbe:
      pr->BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      if (pr->match >= pr->pending_snapshot) {
        pr->BecomeProbe();
        pr->BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      pr->inflights.FreeLE(m.index);
      break;
  }
  if (MaybeCommit()) {
    ReleasePendingReadIndexMessages();
    BcastAppend();
  } else if (old_paused) {
    SendAppend(m.from);  // it was paused; now it has room
  }
  // Flow control may allow several more (size-limited) messages now.
  while (MaybeSendAppend(m.from, /*send_if_empty=*/false)) {
  }
  if (m.from == lead_transferee_ && pr->match == log_->LastIndex()) {
    Send({.type = MessageType::kTimeoutNow, .to = m.from});  // transferee caught up
  }
}

void Raft::HandleHeartbeatResponse(const Message& m, Progress* pr) {
  pr->recent_active = true;
  pr->probe_sent = false;
  // A full window is freed by one slot per heartbeat so that a lost ack does not stall it.
  if (pr->state == ProgressState::kReplicate && pr->inflights.Full()) {
    pr->inflights.FreeFirstOne();
  }
  if (pr->match < log_->LastIndex()) SendAppend(m.from);
  if (m.context.empty()) return;
  const auto* acks = read_only_.RecvAck(m.from, m.context);
  if (acks == nullptr || tracker_.voters().Vote(*acks) != VoteResult::kWon) return;
  for (const ReadIndexStatus& rs : read_only_.Advance(m.context)) {
    SendReadIndexResponse(rs.req, rs.index);
  }
}

void Raft::HandleTransferLeader(const Message& m, Progress* pr) {
  if (pr->is_learner) return;
  uint64_t transferee = m.from;
  if (lead_transferee_ != 0) {
    if (lead_transferee_ == transferee) return;  // already in progress
    AbortLeaderTransfer();
  }
  if (transferee == id_) return;  // already the leader
  // §3.10: stop accepting proposals and bring the transferee up to date, then TimeoutNow. The
  // transfer must finish within an election timeout.
  election_elapsed_ = 0;
  lead_transferee_ = transferee;
  if (pr->match == log_->LastIndex()) {
    Send({.type = MessageType::kTimeoutNow, .to = transferee});
  } else {
    SendAppend(transferee);
  }
}

bool Raft::AppendEntry(std::vector<Entry> ents) {
  uint64_t li = log_->LastIndex();
  for (size_t i = 0; i < ents.size(); ++i) {
    ents[i].term = term_;
    ents[i].index = li + 1 + i;
  }
  if (!IncreaseUncommittedSize(ents)) return false;
  li = log_->Append(ents);
  // The leader's own log counts toward the quorum at once (it persists before it applies).
  if (Progress* self = tracker_.Get(id_)) self->MaybeUpdate(li);
  MaybeCommit();
  return true;
}

bool Raft::IncreaseUncommittedSize(const std::vector<Entry>& ents) {
  uint64_t s = 0;
  for (const Entry& e : ents) s += e.data.size();
  if (max_uncommitted_size_ > 0 && uncommitted_size_ > 0 && s > 0 &&
      uncommitted_size_ + s > max_uncommitted_size_) {
    return false;  // always allow one (possibly large) entry through when nothing is pending
  }
  uncommitted_size_ += s;
  return true;
}

void Raft::AdvanceApplied(uint64_t applied, const std::vector<Entry>& committed) {
  if (applied > 0) log_->AppliedTo(applied);
  if (state_ != StateType::kLeader) return;
  uint64_t s = 0;
  for (const Entry& e : committed) s += e.data.size();
  uncommitted_size_ = s > uncommitted_size_ ? 0 : uncommitted_size_ - s;
}

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  if (to == id_) return false;
  Progress* pr = tracker_.Get(to);
  if (pr == nullptr || pr->IsPaused()) return false;
  Message m{.type = MessageType::kApp, .to = to};
  absl::StatusOr<uint64_t> term = log_->Term(pr->next - 1);
  absl::StatusOr<std::vector<Entry>> ents = log_->EntriesFrom(pr->next, max_msg_size_);
  if (ents.ok() && ents->empty() && !send_if_empty) return false;
  if (!term.ok() || !ents.ok()) {
    // The entries the follower needs are compacted: send a snapshot instead.
    if (!SendSnapshot(to, pr, &m)) return false;
  } else {
    m.index = pr->next - 1;
    m.log_term = *term;
    m.entries = *std::move(ents);
    m.commit = log_->committed();
    if (!m.entries.empty()) {
      uint64_t last = m.entries.back().index;
      if (pr->state == ProgressState::kReplicate) {
        pr->OptimisticUpdate(last);
        pr->inflights.Add(last);
      } else if (pr->state == ProgressState::kProbe) {
        pr->probe_sent = true;
      } else {
        Fatal(absl::StrCat(id_, " is sending append in unhandled state ",
                           ProgressStateName(pr->state)));
      }
    }
  }
  Send(std::move(m));
  return true;
}

bool Raft::SendSnapshot(uint64_t to, Progress* pr, Message* m) {
  if (!pr->recent_active) return false;  // do not ship snapshots to a member that is down
  absl::StatusOr<Snapshot> snap = log_->GetSnapshot();
  if (!snap.ok()) {
    if (IsSnapshotTemporarilyUnavailable(snap.status())) return false;
    Fatal(snap.status().ToString());
  }
  RAFT_CHECK(!snap->IsEmpty(), "need non-empty snapshot");
  m->type = MessageType::kSnap;
  pr->BecomeSnapshot(snap->metadata.index);
  m->snapshot = *std::move(snap);
  return true;
}

void Raft::SendHeartbeat(uint64_t to, const std::string& ctx) {
  // The follower may not have all committed entries yet: never tell it to commit beyond its
  // match, or it would commit entries it does not have.
  const Progress* pr = tracker_.Get(to);
  uint64_t commit = std::min(pr->match, log_->committed());
  Send({.type = MessageType::kHeartbeat, .to = to, .commit = commit, .context = ctx});
}

void Raft::BcastAppend() {
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id != id_) SendAppend(id);
  }
}

void Raft::BcastHeartbeat() {
  std::string ctx = read_only_.LastPendingRequestCtx();
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

// Raft §5.3/§5.4.2: an entry is committed once a majority stores it, but only entries of the
// leader's current term are committed by counting replicas.
bool Raft::MaybeCommit() { return log_->MaybeCommit(tracker_.Committed(), term_); }

}  // namespace etcdpp::raft
