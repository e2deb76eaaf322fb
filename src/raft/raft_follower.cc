// The follower's and (pre-)candidate's half of the state machine: elections from the
// candidate's side, appending the leader's entries, heartbeats, snapshots, and forwarding
// proposals and read requests to the leader.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "raft/raft.h"
#include "raft/util.h"

namespace etcdpp::raft {

absl::Status Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kProp:
      if (lead_ == 0) return ProposalDroppedError();
      {
        Message fwd = m;
        fwd.to = lead_;
        Send(std::move(fwd));
      }
      break;
    case MessageType::kApp:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppendEntries(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      break;
    case MessageType::kSnap:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      break;
    case MessageType::kTransferLeader:
      if (lead_ == 0) return absl::OkStatus();
      {
        Message fwd = m;
        fwd.to = lead_;
        fwd.term = 0;
        Send(std::move(fwd));
      }
      break;
    case MessageType::kTimeoutNow:
      // The leader chose us: campaign at once, even inside its lease.
      if (Promotable()) Campaign(CampaignType::kTransfer);
      break;
    case MessageType::kReadIndex:
      if (lead_ == 0) return absl::OkStatus();  // no leader: dropped, the caller retries
      {
        Message fwd = m;
        fwd.to = lead_;
        Send(std::move(fwd));
      }
      break;
    case MessageType::kReadIndexResp:
      if (m.entries.size() != 1) return absl::OkStatus();  // malformed: ignore
      read_states_.push_back({.index = m.index, .request_ctx = m.entries[0].data});
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status Raft::StepCandidate(const Message& m) {
  MessageType my_resp =
      state_ == StateType::kPreCandidate ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kProp:
      return ProposalDroppedError();
    case MessageType::kApp:
      // §5.2: "If the AppendEntries RPC is received from new leader: convert to follower".
      BecomeFollower(m.term, m.from);
      HandleAppendEntries(m);
      break;
    case MessageType::kHeartbeat:
      BecomeFollower(m.term, m.from);
      HandleHeartbeat(m);
      break;
    case MessageType::kSnap:
      BecomeFollower(m.term, m.from);
      HandleSnapshot(m);
      break;
    default:
      if (m.type != my_resp) break;
      switch (Poll(m.from, m.type, !m.reject)) {
        case VoteResult::kWon:
          if (state_ == StateType::kPreCandidate) {
            Campaign(CampaignType::kElection);
          } else {
            BecomeLeader();
            BcastAppend();
          }
          break;
        case VoteResult::kLost:
          // kPreVoteResp carries our term when rejected: stay in it.
          BecomeFollower(term_, 0);
          break;
        case VoteResult::kPending:
          break;
      }
      break;
  }
  return absl::OkStatus();
}

// Raft §5.3: "If an existing entry conflicts with a new one (same index but different terms),
// delete the existing entry and all that follow it"; reply false if the log does not contain
// an entry at prevLogIndex whose term matches prevLogTerm.
void Raft::HandleAppendEntries(const Message& m) {
  if (m.index < log_->committed()) {
    Send({.type = MessageType::kAppResp, .to = m.from, .index = log_->committed()});
    return;
  }
  if (std::optional<uint64_t> last_new =
          log_->MaybeAppend(m.index, m.log_term, m.commit, m.entries)) {
    Send({.type = MessageType::kAppResp, .to = m.from, .index = *last_new});
    return;
  }
  // Reject with a hint: the last index <= m.index whose term is <= m.log_term. The leader
  // can then skip every index in between (they cannot match).
  uint64_t hint = std::min(m.index, log_->LastIndex());
  auto [hint_index, hint_term] = log_->FindConflictByTerm(hint, m.log_term);
  Send({.type = MessageType::kAppResp,
        .to = m.from,
        .log_term = hint_term,
        .index = m.index,
        .reject = true,
        .reject_hint = hint_index});
}

void Raft::HandleHeartbeat(const Message& m) {
  log_->CommitTo(m.commit);
  Send({.type = MessageType::kHeartbeatResp, .to = m.from, .context = m.context});
}

void Raft::HandleSnapshot(const Message& m) {
  if (Restore(m.snapshot)) {
    Send({.type = MessageType::kAppResp, .to = m.from, .index = log_->LastIndex()});
  } else {
    Send({.type = MessageType::kAppResp, .to = m.from, .index = log_->committed()});
  }
}

// Replaces the log and configuration with the snapshot; false if it is not newer than what
// we have committed, or our log already contains it (then we only fast-forward the commit).
bool Raft::Restore(const Snapshot& s) {
  const SnapshotMetadata& md = s.metadata;
  if (md.index <= log_->committed()) return false;
  if (state_ != StateType::kFollower) {
    // Only a follower can receive a snapshot from a leader of this term.
    BecomeFollower(term_ + 1, 0);
    return false;
  }
  const ConfState& cs = md.conf_state;
  // As etcd 3.4's raft: a voter never restores a snapshot that lists it as a learner. A
  // snapshot from before this member was added is restored (a member that joins after the
  // leader's last snapshot is sent that one; the entries that add it follow). Refusing it, as
  // later raft versions do, left such a member asking for the same snapshot until the leader
  // took a newer one.
  const Progress* self = tracker_.Get(id_);
  if (self != nullptr && !self->is_learner &&
      std::find(cs.learners.begin(), cs.learners.end(), id_) != cs.learners.end()) {
    return false;
  }
  if (log_->MatchTerm(md.index, md.term)) {
    log_->CommitTo(md.index);
    return false;
  }
  log_->Restore(s);
  tracker_.Restore(cs, log_->LastIndex() + 1);
  if (Progress* self = tracker_.Get(id_)) self->MaybeUpdate(self->next - 1);
  return true;
}

}  // namespace etcdpp::raft
