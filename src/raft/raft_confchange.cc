// Configuration changes on the Raft object: applying a committed one-at-a-time change, and
// bootstrapping a brand-new cluster.

#include "absl/strings/str_cat.h"
#include "raft/confchange.h"
#include "raft/invariants.h"
#include "raft/raft.h"
#include "raft/util.h"

namespace etcdpp::raft {

ConfState Raft::ApplyConfChange(const ConfChange& cc) {
  tracker_.ApplyConfChange(cc, log_->LastIndex() + 1);
  ConfState cs = tracker_.GetConfState();
  if (invariants_) invariants_->Check(*this);
  if (state_ != StateType::kLeader) return cs;
  const Progress* self = tracker_.Get(id_);
  // A removed or demoted leader keeps leading until it steps down (check-quorum, or the
  // operator's transfer); it no longer counts toward the quorum.
  if (self == nullptr || self->is_learner) return cs;
  if (tracker_.voters().size() == 0) return cs;
  if (lead_transferee_ != 0 && !tracker_.IsVoter(lead_transferee_)) AbortLeaderTransfer();
  if (MaybeCommit()) {
    // The quorum shrank and something new is committed: tell everyone.
    ReleasePendingReadIndexMessages();
    BcastAppend();
  } else {
    // Probe new members at once instead of waiting for the next heartbeat.
    for (const auto& [id, pr] : tracker_.progress()) {
      if (id != id_) MaybeSendAppend(id, /*send_if_empty=*/false);
    }
  }
  if (invariants_) invariants_->Check(*this);
  return cs;
}

absl::Status Raft::Bootstrap(const std::vector<ConfChange>& changes) {
  if (changes.empty())
    return absl::InvalidArgumentError("must provide at least one peer to Bootstrap");
  if (log_->LastIndex() != 0) {
    return absl::FailedPreconditionError("can't bootstrap a nonempty Storage");
  }
  // Term 1 with no leader: the entries were committed by the operator's say-so.
  BecomeFollower(1, 0);
  std::vector<Entry> ents;
  for (size_t i = 0; i < changes.size(); ++i) {
    ents.push_back({.term = 1,
                    .index = i + 1,
                    .type = EntryType::kConfChange,
                    .data = EncodeConfChange(changes[i])});
  }
  log_->Append(ents);
  log_->CommitTo(ents.size());
  // Apply them now so that the member can campaign; the caller applies them again (as no-ops)
  // when they come out in committed_entries.
  for (const ConfChange& cc : changes) tracker_.ApplyConfChange(cc, log_->LastIndex() + 1);
  if (invariants_) invariants_->Check(*this);
  return absl::OkStatus();
}

}  // namespace etcdpp::raft
