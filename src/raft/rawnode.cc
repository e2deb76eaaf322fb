#include "raft/rawnode.h"

#include "common/status.h"
#include "raft/raft.h"
#include "raft/util.h"

namespace etcdpp::raft {

absl::StatusOr<std::unique_ptr<RawNode>> RawNode::Open(const Config& config) {
  ASSIGN_OR_RETURN(std::unique_ptr<Raft> raft, Raft::Open(config));
  return std::unique_ptr<RawNode>(new RawNode(std::move(raft)));
}

RawNode::RawNode(std::unique_ptr<Raft> raft)
    : raft_(std::move(raft)),
      prev_soft_state_(raft_->GetSoftState()),
      prev_hard_state_(raft_->GetHardState()) {}

RawNode::~RawNode() = default;

absl::Status RawNode::Bootstrap(const std::vector<Peer>& peers) {
  std::vector<ConfChange> changes;
  for (const Peer& p : peers) {
    changes.push_back({.type = ConfChangeType::kAddNode, .node_id = p.id, .context = p.context});
  }
  return raft_->Bootstrap(changes);
}

void RawNode::Tick() { raft_->Tick(); }

absl::Status RawNode::Campaign() {
  return raft_->Step({.type = MessageType::kHup, .from = raft_->id()});
}

absl::Status RawNode::Propose(std::string data) {
  Message m{.type = MessageType::kProp, .from = raft_->id()};
  m.entries.push_back({.data = std::move(data)});
  return raft_->Step(m);
}

absl::Status RawNode::ProposeConfChange(const ConfChange& cc) {
  Message m{.type = MessageType::kProp, .from = raft_->id()};
  m.entries.push_back({.type = EntryType::kConfChange, .data = EncodeConfChange(cc)});
  return raft_->Step(m);
}

absl::Status RawNode::Step(const Message& m) {
  if (IsLocalMessage(m.type)) {
    return absl::InvalidArgumentError("raft: cannot step raft local message");
  }
  if (IsResponseMessage(m.type) && raft_->tracker().Get(m.from) == nullptr) {
    return absl::NotFoundError("raft: cannot step as peer not found");
  }
  return raft_->Step(m);
}

ConfState RawNode::ApplyConfChange(const ConfChange& cc) { return raft_->ApplyConfChange(cc); }

void RawNode::ReadIndex(std::string request_ctx) {
  Message m{.type = MessageType::kReadIndex, .from = raft_->id()};
  m.entries.push_back({.data = std::move(request_ctx)});
  (void)raft_->Step(m);
}

absl::Status RawNode::TransferLeader(uint64_t transferee) {
  return raft_->Step({.type = MessageType::kTransferLeader, .from = transferee});
}

void RawNode::ReportUnreachable(uint64_t id) {
  (void)raft_->Step({.type = MessageType::kUnreachable, .from = id});
}

void RawNode::ReportSnapshot(uint64_t id, bool failure) {
  (void)raft_->Step({.type = MessageType::kSnapStatus, .from = id, .reject = failure});
}

bool RawNode::HasReady() const {
  const Raft& r = *raft_;
  if (r.GetSoftState() != prev_soft_state_) return true;
  HardState hs = r.GetHardState();
  if (!hs.IsEmpty() && hs != prev_hard_state_) return true;
  if (r.log().HasPendingSnapshot()) return true;
  if (r.HasMessages() || !r.log().unstable().entries().empty() || r.log().HasNextEnts()) {
    return true;
  }
  return r.HasReadStates();
}

Ready RawNode::GetReady() {
  Ready rd;
  SoftState ss = raft_->GetSoftState();
  if (ss != prev_soft_state_) rd.soft_state = ss;
  HardState hs = raft_->GetHardState();
  if (hs != prev_hard_state_) rd.hard_state = hs;
  rd.read_states = raft_->TakeReadStates();
  rd.entries = raft_->log().UnstableEntries();
  if (raft_->log().HasPendingSnapshot()) rd.snapshot = *raft_->log().unstable().snapshot();
  rd.committed_entries = raft_->log().NextEnts();
  rd.messages = raft_->TakeMessages();
  rd.must_sync = !rd.entries.empty() || !rd.snapshot.IsEmpty() ||
                 hs.term != prev_hard_state_.term || hs.vote != prev_hard_state_.vote;
  return rd;
}

void RawNode::Advance(const Ready& rd) {
  if (rd.soft_state) prev_soft_state_ = *rd.soft_state;
  if (!rd.hard_state.IsEmpty()) prev_hard_state_ = rd.hard_state;
  uint64_t applied = 0;
  if (!rd.committed_entries.empty()) {
    applied = rd.committed_entries.back().index;
  } else if (!rd.snapshot.IsEmpty()) {
    applied = rd.snapshot.metadata.index;
  }
  raft_->AdvanceApplied(applied, rd.committed_entries);
  if (!rd.entries.empty()) {
    raft_->log().StableTo(rd.entries.back().index, rd.entries.back().term);
  }
  if (!rd.snapshot.IsEmpty()) raft_->log().StableSnapTo(rd.snapshot.metadata.index);
}

BasicStatus RawNode::Status() const {
  return {.id = raft_->id(),
          .hard_state = raft_->GetHardState(),
          .soft_state = raft_->GetSoftState(),
          .applied = raft_->log().applied(),
          .lead_transferee = raft_->lead_transferee()};
}

}  // namespace etcdpp::raft
