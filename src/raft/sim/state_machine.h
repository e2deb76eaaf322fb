#pragma once
// Test-only: the replicated state machine of the simulation. It keeps no data, only the index
// of the last applied entry and a hash chain over every applied entry, so two members that
// applied the same entries at the same indexes hold equal states, and a snapshot is just that
// pair (plus the configuration, which raft hands over separately).

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "raft/types.h"

namespace etcdpp::raft::sim {

struct StateMachine {
  uint64_t index = 0;  // last applied entry
  uint64_t hash = 0;   // chain over (index, term, type, data) of every applied entry
  ConfState conf;      // configuration as of `index`

  // Applies the next entry (its index must be index + 1).
  void Apply(const Entry& e);
  friend bool operator==(const StateMachine&, const StateMachine&) = default;
};

std::ostream& operator<<(std::ostream& os, const StateMachine& sm);

uint64_t HashEntry(uint64_t prev, const Entry& e);

// Snapshot data: "index:hash".
std::string EncodeSnapshotData(const StateMachine& sm);
[[nodiscard]] absl::StatusOr<StateMachine> DecodeSnapshot(const Snapshot& snap);

}  // namespace etcdpp::raft::sim
