#pragma once
// Test-only: the simulated network. Messages sent are in flight until the simulation delivers,
// drops or duplicates one of them, in any order it picks (so delays and reordering are just
// the choice of which message goes next). A partition assigns members to groups; a message
// between groups is lost when it would be delivered, like a packet on a cut link.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "raft/types.h"

namespace etcdpp::raft::sim {

class Network {
 public:
  void Send(Message m) { in_flight_.push_back(std::move(m)); }

  size_t size() const { return in_flight_.size(); }
  bool empty() const { return in_flight_.empty(); }
  const Message& at(size_t i) const { return in_flight_[i]; }
  // Removes message i (in send order: 0 is the oldest).
  Message Take(size_t i);
  // The index of the oldest message matching `pred`, if any (for scripted tests).
  template <typename Pred>
  std::optional<size_t> Find(Pred pred) const {
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      if (pred(in_flight_[i])) return i;
    }
    return std::nullopt;
  }
  std::vector<Message> TakeAll() { return std::exchange(in_flight_, {}); }

  // Members in different groups cannot talk; members not mentioned are in group 0.
  void SetGroup(uint64_t id, int group) { group_[id] = group; }
  void Heal() { group_.clear(); }
  bool Connected(uint64_t a, uint64_t b) const { return Group(a) == Group(b); }
  bool Partitioned() const;

 private:
  int Group(uint64_t id) const;

  std::vector<Message> in_flight_;  // in send order
  std::map<uint64_t, int> group_;
};

}  // namespace etcdpp::raft::sim
