#include "raft/raft.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/error_id.h"
#include "common/status.h"
#include "raft/confchange.h"
#include "raft/invariants.h"
#include "raft/util.h"

namespace etcdpp::raft {
namespace {

constexpr char kCampaignTransfer[] = "CampaignTransfer";

}  // namespace

[[nodiscard]] absl::Status ProposalDroppedError() {
  return WithErrorId(absl::UnavailableError("raft proposal dropped"), kProposalDroppedId);
}
bool IsProposalDropped(const absl::Status& s) { return HasErrorId(s, kProposalDroppedId); }

absl::Status Config::Validate() const {
  if (id == 0) return absl::InvalidArgumentError("cannot use none as id");
  if (heartbeat_tick <= 0)
    return absl::InvalidArgumentError("heartbeat tick must be greater than 0");
  if (election_tick <= heartbeat_tick) {
    return absl::InvalidArgumentError("election tick must be greater than heartbeat tick");
  }
  if (storage == nullptr) return absl::InvalidArgumentError("storage cannot be nil");
  if (max_inflight_msgs == 0) {
    return absl::InvalidArgumentError("max inflight messages must be greater than 0");
  }
  return absl::OkStatus();
}

Raft::Raft(const Config& c, std::unique_ptr<RaftLog> log)
    : id_(c.id),
      election_timeout_(c.election_tick),
      heartbeat_timeout_(c.heartbeat_tick),
      max_msg_size_(c.max_size_per_msg),
      max_uncommitted_size_(c.max_uncommitted_entries_size),
      check_quorum_(c.check_quorum),
      pre_vote_(c.pre_vote),
      log_(std::move(log)),
      tracker_(c.max_inflight_msgs),
      rng_(c.seed ^ (c.id * 0x9E3779B97F4A7C15ull)) {}

Raft::~Raft() = default;

absl::StatusOr<std::unique_ptr<Raft>> Raft::Open(const Config& c) {
  RETURN_NOT_OK(c.Validate());
  ASSIGN_OR_RETURN(std::unique_ptr<RaftLog> log, RaftLog::Open(c.storage, c.max_size_per_msg));
  std::unique_ptr<Raft> r(new Raft(c, std::move(log)));
  HardState hs;
  ConfState cs;
  RETURN_NOT_OK(c.storage->InitialState(&hs, &cs));
  r->tracker_.Restore(cs, r->log_->LastIndex() + 1);
  if (!hs.IsEmpty()) RETURN_NOT_OK(r->LoadState(hs));
  if (c.applied > 0) {
    if (c.applied > r->log_->committed()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "raft: applied(", c.applied, ") is beyond committed(", r->log_->committed(), ")"));
    }
    if (c.applied < r->log_->applied()) {
      // The state machine is older than the snapshot: the caller must restore the snapshot's.
      return absl::InvalidArgumentError(absl::StrCat(
          "raft: applied(", c.applied, ") is before the snapshot(", r->log_->applied(), ")"));
    }
    uint64_t snapshot_index = r->log_->FirstIndex() - 1;
    r->ReplayAppliedConfChanges(std::max(snapshot_index, r->log_->applied()) + 1, c.applied);
    r->log_->AppliedTo(c.applied);
  }
  r->BecomeFollower(r->term_, 0);
  r->invariants_ = MakeInvariantChecker(*r);
  return r;
}

absl::Status Raft::LoadState(const HardState& hs) {
  if (hs.commit < log_->committed() || hs.commit > log_->LastIndex()) {
    return absl::DataLossError(absl::StrCat("raft: state.commit ", hs.commit, " is out of range [",
                                            log_->committed(), ", ", log_->LastIndex(), "]"));
  }
  log_->CommitTo(hs.commit);
  term_ = hs.term;
  vote_ = hs.vote;
  return absl::OkStatus();
}

// The caller will not hand us the conf changes it already applied, but the ConfState in
// Storage is only as new as the last snapshot: replay the ones in (snapshot, applied].
void Raft::ReplayAppliedConfChanges(uint64_t from, uint64_t applied) {
  if (from > applied) return;
  absl::StatusOr<std::vector<Entry>> ents = log_->Slice(from, applied + 1, UINT64_MAX);
  RAFT_CHECK(ents.ok(), ents.status().ToString());
  for (const Entry& e : *ents) {
    if (e.type != EntryType::kConfChange) continue;
    absl::StatusOr<ConfChange> cc = DecodeConfChange(e.data);
    RAFT_CHECK(cc.ok(),
               absl::StrCat("applied conf change at ", e.index, ": ", cc.status().ToString()));
    tracker_.ApplyConfChange(*cc, log_->LastIndex() + 1);
  }
}

HardState Raft::GetHardState() const {
  return {.term = term_, .vote = vote_, .commit = log_->committed()};
}

absl::Status Raft::Step(const Message& m) {
  absl::Status s = StepInternal(m);
  if (invariants_) invariants_->Check(*this);
  return s;
}

void Raft::Tick() {
  if (state_ == StateType::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
  if (invariants_) invariants_->Check(*this);
}

absl::Status Raft::StepInternal(const Message& m) {
  bool drop = false;
  RETURN_NOT_OK(StepByTerm(m, &drop));
  if (drop) return absl::OkStatus();
  switch (m.type) {
    case MessageType::kHup:
      Hup(pre_vote_ ? CampaignType::kPreElection : CampaignType::kElection);
      return absl::OkStatus();
    case MessageType::kVote:
    case MessageType::kPreVote:
      HandleVoteRequest(m);
      return absl::OkStatus();
    default:
      break;
  }
  switch (state_) {
    case StateType::kLeader:
      return StepLeader(m);
    case StateType::kFollower:
      return StepFollower(m);
    case StateType::kCandidate:
    case StateType::kPreCandidate:
      return StepCandidate(m);
  }
  return absl::OkStatus();
}

// Raft §5.1: "If a server receives a request with a stale term number, it rejects the request";
// "if one server's current term is smaller than the other's, then it updates its current term".
absl::Status Raft::StepByTerm(const Message& m, bool* drop) {
  if (m.term == 0) return absl::OkStatus();  // local message
  if (m.term > term_) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      bool force = m.context == kCampaignTransfer;
      bool in_lease = check_quorum_ && lead_ != 0 && election_elapsed_ < election_timeout_;
      if (!force && in_lease) {
        // §6 (disruptive servers): we heard from a leader within the minimum election timeout.
        *drop = true;
        return absl::OkStatus();
      }
    }
    if (m.type == MessageType::kPreVote) {
      // A pre-vote does not change our term.
    } else if (m.type == MessageType::kPreVoteResp && !m.reject) {
      // The pre-candidate bumps its term only when it won the pre-election.
    } else if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnap) {
      BecomeFollower(m.term, m.from);
    } else {
      BecomeFollower(m.term, 0);
    }
    return absl::OkStatus();
  }
  if (m.term < term_) {
    *drop = true;
    if ((check_quorum_ || pre_vote_) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kApp)) {
      // A leader partitioned away with a lower term: tell it about our term so it steps down
      // (its heartbeats would otherwise be dropped forever while we refuse its votes).
      Send({.type = MessageType::kAppResp, .to = m.from});
    } else if (m.type == MessageType::kPreVote) {
      Send({.type = MessageType::kPreVoteResp, .to = m.from, .term = term_, .reject = true});
    }
  }
  return absl::OkStatus();
}

// Raft §5.2, §5.4.1: grant at most one vote per term, only to a candidate whose log is at
// least as up-to-date as ours.
void Raft::HandleVoteRequest(const Message& m) {
  bool can_vote = vote_ == m.from || (vote_ == 0 && lead_ == 0) ||
                  (m.type == MessageType::kPreVote && m.term > term_);
  if (can_vote && log_->IsUpToDate(m.index, m.log_term)) {
    // The response carries the request's term: a pre-vote is answered for the future term.
    Send({.type = VoteRespType(m.type), .to = m.from, .term = m.term});
    if (m.type == MessageType::kVote) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    Send({.type = VoteRespType(m.type), .to = m.from, .term = term_, .reject = true});
  }
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = 0;
  }
  lead_ = 0;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  tracker_.ResetVotes();
  uint64_t last = log_->LastIndex();
  tracker_.Visit([&](uint64_t id, Progress& pr) {
    bool learner = pr.is_learner;
    pr = Progress(last + 1, tracker_.max_inflight(), learner);
    if (id == id_) pr.match = last;
  });
  pending_conf_index_ = 0;
  uncommitted_size_ = 0;
  read_only_ = ReadOnly();
  pending_read_index_messages_.clear();
}

void Raft::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      election_timeout_ + static_cast<int>(rng_() % static_cast<uint64_t>(election_timeout_));
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  state_ = StateType::kFollower;
}

void Raft::BecomeCandidate() {
  RAFT_CHECK(state_ != StateType::kLeader, "invalid transition [leader -> candidate]");
  Reset(term_ + 1);
  vote_ = id_;
  state_ = StateType::kCandidate;
}

void Raft::BecomePreCandidate() {
  RAFT_CHECK(state_ != StateType::kLeader, "invalid transition [leader -> pre-candidate]");
  // Neither the term nor the vote changes: a pre-election is only a question.
  tracker_.ResetVotes();
  lead_ = 0;
  state_ = StateType::kPreCandidate;
}

void Raft::BecomeLeader() {
  RAFT_CHECK(state_ != StateType::kFollower, "invalid transition [follower -> leader]");
  Reset(term_);
  lead_ = id_;
  state_ = StateType::kLeader;
  if (Progress* pr = tracker_.Get(id_)) {
    pr->BecomeReplicate();
    pr->recent_active = true;  // the leader is always active for its own check-quorum
  }
  // Conservatively treat any unapplied entry as a possible conf change.
  pending_conf_index_ = log_->LastIndex();
  // Raft §8: "each leader commit a blank no-op entry into the log at the start of its term".
  RAFT_CHECK(AppendEntry({Entry{}}), "empty entry was dropped");
  uncommitted_size_ = 0;  // the empty entry does not count against the limit
}

void Raft::Hup(CampaignType t) {
  if (state_ == StateType::kLeader) return;
  if (!Promotable()) return;  // removed, learner, or not yet configured
  absl::StatusOr<std::vector<Entry>> ents =
      log_->Slice(log_->applied() + 1, log_->committed() + 1, UINT64_MAX);
  RAFT_CHECK(ents.ok(), absl::StrCat("unexpected error getting unapplied entries: ",
                                     ents.status().ToString()));
  for (const Entry& e : *ents) {
    // A committed but unapplied conf change could change who may vote: wait for it.
    if (e.type == EntryType::kConfChange) return;
  }
  Campaign(t);
}

void Raft::Campaign(CampaignType t) {
  MessageType vote_msg;
  uint64_t term;
  if (t == CampaignType::kPreElection) {
    BecomePreCandidate();
    vote_msg = MessageType::kPreVote;
    term = term_ + 1;  // the term we would campaign in
  } else {
    BecomeCandidate();
    vote_msg = MessageType::kVote;
    term = term_;
  }
  if (Poll(id_, VoteRespType(vote_msg), true) == VoteResult::kWon) {
    // A single voter wins at once.
    if (t == CampaignType::kPreElection) {
      Campaign(CampaignType::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t id : tracker_.VoterIds()) {
    if (id == id_) continue;
    Send({.type = vote_msg,
          .to = id,
          .term = term,
          .log_term = log_->LastTerm(),
          .index = log_->LastIndex(),
          .context = t == CampaignType::kTransfer ? kCampaignTransfer : ""});
  }
}

VoteResult Raft::Poll(uint64_t id, MessageType t, bool granted) {
  tracker_.RecordVote(id, granted);
  int yes = 0, no = 0;
  return tracker_.TallyVotes(&yes, &no);
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    (void)Step({.type = MessageType::kHup, .from = id_});
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    if (check_quorum_) (void)Step({.type = MessageType::kCheckQuorum, .from = id_});
    // A transfer that did not finish within an election timeout is abandoned.
    if (state_ == StateType::kLeader) AbortLeaderTransfer();
  }
  if (state_ != StateType::kLeader) return;
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    (void)Step({.type = MessageType::kBeat, .from = id_});
  }
}

bool Raft::PastElectionTimeout() const { return election_elapsed_ >= randomized_election_timeout_; }

bool Raft::Promotable() const {
  const Progress* pr = tracker_.Get(id_);
  return pr != nullptr && !pr->is_learner;
}

void Raft::Send(Message m) {
  m.from = id_;
  if (m.type == MessageType::kVote || m.type == MessageType::kVoteResp ||
      m.type == MessageType::kPreVote || m.type == MessageType::kPreVoteResp) {
    RAFT_CHECK(m.term != 0,
               absl::StrCat("term should be set when sending ", MessageTypeName(m.type)));
  } else {
    RAFT_CHECK(m.term == 0, absl::StrCat("term should not be set when sending ",
                                         MessageTypeName(m.type), " (was ", m.term, ")"));
    // Proposals and read requests are forwarded as local messages: no term.
    if (m.type != MessageType::kProp && m.type != MessageType::kReadIndex) m.term = term_;
  }
  msgs_.push_back(std::move(m));
}

}  // namespace etcdpp::raft
