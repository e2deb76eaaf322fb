#pragma once
// Segment file names: "%016x-%016x.wal", sequence number then first raft index (record.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/env.h"

namespace etcdpp::wal {

struct SegmentName {
  uint64_t seq = 0;
  uint64_t index = 0;
  std::string ToString() const;
  friend bool operator==(const SegmentName&, const SegmentName&) = default;
};

// Parses a file name (not a path); nullopt unless it is exactly a segment name.
std::optional<SegmentName> ParseSegmentName(const std::string& name);

// The segment names in `dir`, sorted by sequence; other files are ignored.
[[nodiscard]] absl::StatusOr<std::vector<SegmentName>> ListSegments(Env* env,
                                                                    const std::string& dir);

// The position in `names` (sorted) of the last segment whose first index is <= index, or
// nullopt when there is none (as etcd's searchIndex).
std::optional<size_t> SearchIndex(const std::vector<SegmentName>& names, uint64_t index);

// True when the sequence numbers of names[from..] increase by exactly one.
bool IsContiguous(const std::vector<SegmentName>& names, size_t from);

}  // namespace etcdpp::wal
