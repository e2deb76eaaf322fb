#include "raft/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "raft/util.h"

namespace etcdpp::raft {

void Inflights::Add(uint64_t index) {
  RAFT_CHECK(!Full(), "cannot add into a full inflights");
  buffer_.push_back(index);
}

void Inflights::FreeLE(uint64_t to) {
  auto it = std::upper_bound(buffer_.begin(), buffer_.end(), to);
  buffer_.erase(buffer_.begin(), it);
}

void Inflights::FreeFirstOne() {
  if (!buffer_.empty()) buffer_.erase(buffer_.begin());
}

const char* ProgressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "StateProbe";
    case ProgressState::kReplicate:
      return "StateReplicate";
    case ProgressState::kSnapshot:
      return "StateSnapshot";
  }
  return "StateUnknown";
}

void Progress::BecomeProbe() {
  // Coming back from a snapshot, the follower has at least the snapshot.
  if (state == ProgressState::kSnapshot) {
    uint64_t pending = pending_snapshot;
    state = ProgressState::kProbe;
    next = std::max(match + 1, pending + 1);
  } else {
    state = ProgressState::kProbe;
    next = match + 1;
  }
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  state = ProgressState::kSnapshot;
  probe_sent = false;
  pending_snapshot = snapshot_index;
  inflights.Reset();
}

bool Progress::MaybeUpdate(uint64_t n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t match_hint) {
  if (state == ProgressState::kReplicate) {
    // Stale if the rejected index is already matched.
    if (rejected <= match) return false;
    next = match + 1;  // directly back to the last known match
    return true;
  }
  // In probe, only the rejection of the last probe (next-1) counts.
  if (next - 1 != rejected) return false;
  next = std::max<uint64_t>(std::min(rejected, match_hint + 1), 1);
  probe_sent = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.Full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

std::string Progress::DebugString() const {
  std::string s = absl::StrCat(ProgressStateName(state), " match=", match, " next=", next);
  if (is_learner) absl::StrAppend(&s, " learner");
  if (probe_sent) absl::StrAppend(&s, " paused");
  if (pending_snapshot > 0) absl::StrAppend(&s, " pendingSnap=", pending_snapshot);
  if (!recent_active) absl::StrAppend(&s, " inactive");
  if (inflights.Count() > 0) absl::StrAppend(&s, " inflight=", inflights.Count());
  return s;
}

}  // namespace etcdpp::raft
