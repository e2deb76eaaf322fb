#include "raft/sim/disk.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace etcdpp::raft::sim {

void Disk::Save(const HardState& hs, const std::vector<Entry>& ents, const Snapshot& snap) {
  if (!snap.IsEmpty()) {
    snapshot_ = snap;
    entries_.clear();  // the snapshot replaces the whole log
  }
  if (!ents.empty()) {
    uint64_t first = snapshot_.metadata.index + 1;
    uint64_t keep = ents.front().index > first ? ents.front().index - first : 0;
    if (keep < entries_.size()) entries_.resize(keep);
    for (const Entry& e : ents) {
      if (e.index >= first) entries_.push_back(e);
    }
  }
  if (!hs.IsEmpty()) hard_state_ = hs;
}

void Disk::SaveSnapshot(const Snapshot& snap) {
  uint64_t drop = snap.metadata.index - snapshot_.metadata.index;
  entries_.erase(entries_.begin(), entries_.begin() + std::min<size_t>(drop, entries_.size()));
  snapshot_ = snap;
}

absl::StatusOr<std::unique_ptr<MemoryStorage>> Disk::Load() const {
  auto s = std::make_unique<MemoryStorage>();
  if (!snapshot_.IsEmpty()) RETURN_NOT_OK(s->ApplySnapshot(snapshot_));
  RETURN_NOT_OK(s->Append(entries_));
  RETURN_NOT_OK(s->SetHardState(hard_state_));
  return s;
}

}  // namespace etcdpp::raft::sim
