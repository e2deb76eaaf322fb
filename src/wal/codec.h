#pragma once
// Encodings of the WAL record payloads (raft entries, hard states, snapshot markers) in our
// compact binary format; record.h has the byte layout. Decoders reject trailing or missing
// bytes and unknown entry types.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "raft/types.h"

namespace etcdpp::wal {

struct WalSnapshot {
  uint64_t index = 0;
  uint64_t term = 0;
  friend bool operator==(const WalSnapshot&, const WalSnapshot&) = default;
};

std::string EncodeEntry(const raft::Entry& e);
std::string EncodeHardState(const raft::HardState& s);
std::string EncodeSnapshot(const WalSnapshot& s);

// Errors are InvalidArgument with what was wrong; the caller adds the file and offset.
[[nodiscard]] absl::StatusOr<raft::Entry> DecodeEntry(std::string_view data);
[[nodiscard]] absl::StatusOr<raft::HardState> DecodeHardState(std::string_view data);
[[nodiscard]] absl::StatusOr<WalSnapshot> DecodeSnapshot(std::string_view data);

}  // namespace etcdpp::wal
