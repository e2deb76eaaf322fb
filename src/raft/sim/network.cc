#include "raft/sim/network.h"

namespace etcdpp::raft::sim {

Message Network::Take(size_t i) {
  Message m = std::move(in_flight_[i]);
  in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
  return m;
}

bool Network::Partitioned() const {
  for (const auto& [id, g] : group_) {
    if (g != 0) return true;
  }
  return false;
}

int Network::Group(uint64_t id) const {
  auto it = group_.find(id);
  return it == group_.end() ? 0 : it->second;
}

}  // namespace etcdpp::raft::sim
