#include "raft/sim/node.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "raft/confchange.h"

namespace etcdpp::raft::sim {

absl::Status Node::Start(const Config& base, uint64_t seed, bool use_synced_state_machine) {
  ASSIGN_OR_RETURN(storage_, disk_.Load());
  sm_ = StateMachine{};
  // As etcd: a backend older than the snapshot (a crash between saving a received snapshot
  // and swapping in its backend) is replaced by the snapshot's.
  const std::optional<StateMachine>& synced = disk_.state_machine();
  if (use_synced_state_machine && synced.has_value() &&
      synced->index >= disk_.snapshot().metadata.index) {
    sm_ = *synced;
  } else if (!disk_.snapshot().IsEmpty()) {
    ASSIGN_OR_RETURN(sm_, DecodeSnapshot(disk_.snapshot()));
  }
  Config c = base;
  c.id = id_;
  c.storage = storage_.get();
  c.applied = sm_.index;
  c.seed = seed + static_cast<uint64_t>(starts_++) * 0x2545F4914F6CDD1Dull;
  absl::StatusOr<std::unique_ptr<RawNode>> raw = RawNode::Open(c);
  if (!raw.ok()) {
    storage_.reset();
    return raw.status();
  }
  raw_ = *std::move(raw);
  return absl::OkStatus();
}

void Node::Crash() {
  raw_.reset();
  storage_.reset();
  sm_ = StateMachine{};
}

absl::Status Node::Persist(const Ready& rd) {
  disk_.Save(rd.hard_state, rd.entries, rd.snapshot);
  if (!rd.snapshot.IsEmpty()) RETURN_NOT_OK(storage_->ApplySnapshot(rd.snapshot));
  RETURN_NOT_OK(storage_->Append(rd.entries));
  if (!rd.hard_state.IsEmpty()) RETURN_NOT_OK(storage_->SetHardState(rd.hard_state));
  return absl::OkStatus();
}

absl::Status Node::Apply(const Entry& e) {
  if (e.index != sm_.index + 1) {
    return absl::InternalError(
        absl::StrCat("member ", id_, " applies entry ", e.index, " after ", sm_.index));
  }
  if (e.type == EntryType::kConfChange) {
    ASSIGN_OR_RETURN(ConfChange cc, DecodeConfChange(e.data));
    sm_.conf = raw_->ApplyConfChange(cc);
  }
  sm_.Apply(e);
  return absl::OkStatus();
}

absl::Status Node::ApplySnapshot(const Snapshot& snap) {
  ASSIGN_OR_RETURN(sm_, DecodeSnapshot(snap));
  disk_.SyncStateMachine(sm_);  // the received backend replaces the old one on disk
  return absl::OkStatus();
}

absl::Status Node::CompactLog(uint64_t compact) {
  absl::StatusOr<Snapshot> snap =
      storage_->CreateSnapshot(sm_.index, &sm_.conf, EncodeSnapshotData(sm_));
  if (IsSnapOutOfDate(snap.status())) return absl::OkStatus();  // nothing new
  RETURN_NOT_OK(snap.status());
  disk_.SyncStateMachine(sm_);
  disk_.SaveSnapshot(*snap);
  absl::Status s = storage_->Compact(compact);
  if (IsCompacted(s)) return absl::OkStatus();
  return s;
}

}  // namespace etcdpp::raft::sim
