#pragma once
// The codec of ConfChange, the payload of kConfChange log entries. Our own stable format; it is
// persisted in the WAL and in snapshots, so it never changes incompatibly.
//
//   offset  size  field
//   0       1     format version, 1
//   1       1     type: 0 kAddNode, 1 kRemoveNode, 2 kUpdateNode, 3 kAddLearnerNode
//   2       8     node_id, little-endian
//   10      4     n = context length, little-endian
//   14      n     context bytes
//
// Decoding rejects an unknown version or type and any length mismatch (InvalidArgument).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "raft/types.h"

namespace etcdpp::raft {

std::string EncodeConfChange(const ConfChange& cc);
[[nodiscard]] absl::StatusOr<ConfChange> DecodeConfChange(std::string_view data);

}  // namespace etcdpp::raft
