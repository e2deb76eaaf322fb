#include "raft/tracker.h"

#include <algorithm>

namespace etcdpp::raft {

void ProgressTracker::InitProgress(uint64_t id, uint64_t next_index, bool learner) {
  auto [it, inserted] =
      progress_.try_emplace(id, std::max<uint64_t>(next_index, 1), max_inflight_, learner);
  it->second.is_learner = learner;
  // A new member is considered active so that check-quorum does not step down at once.
  if (inserted) it->second.recent_active = true;
}

void ProgressTracker::ApplyConfChange(const ConfChange& cc, uint64_t next_index) {
  uint64_t id = cc.node_id;
  if (id == 0) return;  // etcd uses node 0 to mean "no-op" (e.g. a dropped change)
  switch (cc.type) {
    case ConfChangeType::kAddNode:
      learners_.erase(id);
      voters_.mutable_ids().insert(id);
      InitProgress(id, next_index, /*learner=*/false);
      break;
    case ConfChangeType::kAddLearnerNode:
      voters_.mutable_ids().erase(id);
      learners_.insert(id);
      InitProgress(id, next_index, /*learner=*/true);
      break;
    case ConfChangeType::kRemoveNode:
      voters_.mutable_ids().erase(id);
      learners_.erase(id);
      progress_.erase(id);
      votes_.erase(id);
      break;
    case ConfChangeType::kUpdateNode:
      break;
  }
}

void ProgressTracker::Restore(const ConfState& cs, uint64_t next_index) {
  voters_ = MajorityConfig();
  learners_.clear();
  progress_.clear();
  votes_.clear();
  for (uint64_t id : cs.voters) {
    ApplyConfChange({.type = ConfChangeType::kAddNode, .node_id = id}, next_index);
  }
  for (uint64_t id : cs.learners) {
    ApplyConfChange({.type = ConfChangeType::kAddLearnerNode, .node_id = id}, next_index);
  }
}

ConfState ProgressTracker::GetConfState() const {
  ConfState cs;
  cs.voters.assign(voters_.ids().begin(), voters_.ids().end());
  cs.learners.assign(learners_.begin(), learners_.end());
  return cs;
}

uint64_t ProgressTracker::Committed() const {
  return voters_.CommittedIndex([this](uint64_t id) -> std::optional<uint64_t> {
    const Progress* pr = Get(id);
    if (pr == nullptr) return std::nullopt;
    return pr->match;
  });
}

bool ProgressTracker::QuorumActive() const {
  absl::flat_hash_map<uint64_t, bool> active;
  for (const auto& [id, pr] : progress_) {
    if (!pr.is_learner) active[id] = pr.recent_active;
  }
  return voters_.Vote(active) == VoteResult::kWon;
}

void ProgressTracker::RecordVote(uint64_t id, bool granted) { votes_.try_emplace(id, granted); }

VoteResult ProgressTracker::TallyVotes(int* granted, int* rejected) const {
  *granted = *rejected = 0;
  for (uint64_t id : voters_.ids()) {
    auto it = votes_.find(id);
    if (it == votes_.end()) continue;
    ++(it->second ? *granted : *rejected);
  }
  return voters_.Vote(votes_);
}

Progress* ProgressTracker::Get(uint64_t id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

const Progress* ProgressTracker::Get(uint64_t id) const {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

void ProgressTracker::Visit(const std::function<void(uint64_t id, Progress& pr)>& f) {
  for (auto& [id, pr] : progress_) f(id, pr);
}

std::vector<uint64_t> ProgressTracker::VoterIds() const {
  return std::vector<uint64_t>(voters_.ids().begin(), voters_.ids().end());
}

}  // namespace etcdpp::raft
