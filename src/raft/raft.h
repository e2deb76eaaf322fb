#pragma once
// Raft: the consensus state machine of one member (etcd-io/raft raft.go). Pure and
// deterministic: inputs are Tick() and Step(message); outputs accumulate in msgs_ and
// read_states_ and in the log's unstable tail, which RawNode hands out as a Ready.
//
// Implemented: elections with randomized timeouts, pre-vote, check-quorum, log replication
// with per-follower flow control, commit by quorum of current-term entries, ReadIndex
// (ReadOnlySafe), snapshots, one-at-a-time configuration changes, leader transfer.
//
// The step functions live in raft.cc (term handling, elections, ticks), raft_leader.cc and
// raft_follower.cc (follower and candidate).

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/config.h"
#include "raft/log.h"
#include "raft/read_only.h"
#include "raft/tracker.h"
#include "raft/types.h"

namespace etcdpp::raft {

inline constexpr char kProposalDroppedId[] = "raft:proposal-dropped";
[[nodiscard]] absl::Status ProposalDroppedError();
// The proposal (or conf change) was not appended: no leader, a leader transfer in progress,
// the uncommitted-size limit, or this member was removed. The caller may retry.
bool IsProposalDropped(const absl::Status& s);

class InvariantChecker;

class Raft {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Raft>> Open(const Config& config);
  ~Raft();

  // Feeds one message (from a peer, or local: kHup, kBeat, kProp, ...). Drops stale messages.
  [[nodiscard]] absl::Status Step(const Message& m);
  void Tick();
  // Applies a committed configuration change; returns the new configuration.
  ConfState ApplyConfChange(const ConfChange& cc);
  // For RawNode::Bootstrap: the log must be empty.
  [[nodiscard]] absl::Status Bootstrap(const std::vector<ConfChange>& changes);
  // The caller applied everything up to `applied` (after a Ready): releases uncommitted quota.
  void AdvanceApplied(uint64_t applied, const std::vector<Entry>& committed);

  SoftState GetSoftState() const { return {.lead = lead_, .state = state_}; }
  HardState GetHardState() const;
  std::vector<Message> TakeMessages() { return std::exchange(msgs_, {}); }
  std::vector<ReadState> TakeReadStates() { return std::exchange(read_states_, {}); }
  bool HasMessages() const { return !msgs_.empty(); }
  bool HasReadStates() const { return !read_states_.empty(); }

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t lead() const { return lead_; }
  StateType state() const { return state_; }
  uint64_t lead_transferee() const { return lead_transferee_; }
  RaftLog& log() { return *log_; }
  const RaftLog& log() const { return *log_; }
  const ProgressTracker& tracker() const { return tracker_; }
  int randomized_election_timeout() const { return randomized_election_timeout_; }

 private:
  explicit Raft(const Config& c, std::unique_ptr<RaftLog> log);
  [[nodiscard]] absl::Status LoadState(const HardState& hs);
  void ReplayAppliedConfChanges(uint64_t from, uint64_t applied);

  // raft.cc: terms, elections, ticks.
  [[nodiscard]] absl::Status StepByTerm(const Message& m, bool* drop);
  [[nodiscard]] absl::Status StepInternal(const Message& m);
  void HandleVoteRequest(const Message& m);
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomeCandidate();
  void BecomePreCandidate();
  void BecomeLeader();
  void Reset(uint64_t term);
  void ResetRandomizedElectionTimeout();
  enum class CampaignType { kPreElection, kElection, kTransfer };
  void Hup(CampaignType t);
  void Campaign(CampaignType t);
  VoteResult Poll(uint64_t id, MessageType t, bool granted);
  void TickElection();
  void TickHeartbeat();
  bool PastElectionTimeout() const;
  bool Promotable() const;
  void Send(Message m);

  // raft_leader.cc
  [[nodiscard]] absl::Status StepLeader(const Message& m);
  [[nodiscard]] absl::Status StepLeaderPropose(const Message& m);
  void StepLeaderReadIndex(const Message& m);
  void HandleAppendResponse(const Message& m, Progress* pr);
  void HandleHeartbeatResponse(const Message& m, Progress* pr);
  void HandleTransferLeader(const Message& m, Progress* pr);
  bool AppendEntry(std::vector<Entry> ents);
  void SendAppend(uint64_t to) { MaybeSendAppend(to, /*send_if_empty=*/true); }
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  bool SendSnapshot(uint64_t to, Progress* pr, Message* m);
  void SendHeartbeat(uint64_t to, const std::string& ctx);
  void BcastAppend();
  void BcastHeartbeat();
  bool MaybeCommit();
  bool CommittedEntryInCurrentTerm() const;
  void SendReadIndexResponse(const Message& req, uint64_t index);
  void ReleasePendingReadIndexMessages();
  void AbortLeaderTransfer() { lead_transferee_ = 0; }
  bool IncreaseUncommittedSize(const std::vector<Entry>& ents);

  // raft_follower.cc: follower and (pre-)candidate.
  [[nodiscard]] absl::Status StepFollower(const Message& m);
  [[nodiscard]] absl::Status StepCandidate(const Message& m);
  void HandleAppendEntries(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  bool Restore(const Snapshot& s);

  // Constant after construction.
  const uint64_t id_;
  const int election_timeout_;
  const int heartbeat_timeout_;
  const uint64_t max_msg_size_;
  const uint64_t max_uncommitted_size_;
  const bool check_quorum_;
  const bool pre_vote_;

  std::unique_ptr<RaftLog> log_;
  ProgressTracker tracker_;
  std::mt19937_64 rng_;

  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  uint64_t lead_ = 0;
  StateType state_ = StateType::kFollower;
  uint64_t lead_transferee_ = 0;
  // Only one conf change may be pending (in the log, not yet applied): the index of the last.
  uint64_t pending_conf_index_ = 0;
  uint64_t uncommitted_size_ = 0;
  ReadOnly read_only_;
  // ReadIndex requests a new leader holds until it committed an entry of its term.
  std::vector<Message> pending_read_index_messages_;

  // Ticks since the last election timeout reset (leader: since the last check-quorum).
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;  // leader only
  int randomized_election_timeout_ = 0;

  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;
  std::unique_ptr<InvariantChecker> invariants_;  // debug builds only
};

}  // namespace etcdpp::raft
