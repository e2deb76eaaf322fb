#include "raft/quorum.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/str_join.h"

namespace etcdpp::raft {

uint64_t MajorityConfig::CommittedIndex(
    const std::function<std::optional<uint64_t>(uint64_t)>& acked) const {
  if (ids_.empty()) return std::numeric_limits<uint64_t>::max();
  std::vector<uint64_t> indexes;
  indexes.reserve(ids_.size());
  for (uint64_t id : ids_) indexes.push_back(acked(id).value_or(0));
  // Sorted descending, the (n/2)-th index (0-based) is acked by n/2+1 voters: a majority.
  std::sort(indexes.begin(), indexes.end(), std::greater<uint64_t>());
  return indexes[ids_.size() / 2];
}

VoteResult MajorityConfig::Vote(const absl::flat_hash_map<uint64_t, bool>& votes) const {
  if (ids_.empty()) return VoteResult::kWon;
  size_t yes = 0, missing = 0;
  for (uint64_t id : ids_) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++yes;
    }
  }
  size_t q = ids_.size() / 2 + 1;
  if (yes >= q) return VoteResult::kWon;
  if (yes + missing >= q) return VoteResult::kPending;
  return VoteResult::kLost;
}

std::string MajorityConfig::DebugString() const { return "(" + absl::StrJoin(ids_, " ") + ")"; }

}  // namespace etcdpp::raft
