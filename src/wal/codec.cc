#include "wal/codec.h"

#include "absl/status/status.h"
#include "common/status.h"

namespace etcdpp::wal {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Consumes a varint from the front of *in.
[[nodiscard]] absl::StatusOr<uint64_t> GetVarint(std::string_view* in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return v;
  }
  return absl::InvalidArgumentError("truncated or overlong varint");
}

[[nodiscard]] absl::Status ExpectEmpty(std::string_view rest, const char* what) {
  if (!rest.empty()) return absl::InvalidArgumentError(std::string("trailing bytes in ") + what);
  return absl::OkStatus();
}

}  // namespace

std::string EncodeEntry(const raft::Entry& e) {
  std::string out;
  out.reserve(e.data.size() + 12);
  PutVarint(&out, e.term);
  PutVarint(&out, e.index);
  out.push_back(static_cast<char>(e.type));
  out.append(e.data);
  return out;
}

std::string EncodeHardState(const raft::HardState& s) {
  std::string out;
  PutVarint(&out, s.term);
  PutVarint(&out, s.vote);
  PutVarint(&out, s.commit);
  return out;
}

std::string EncodeSnapshot(const WalSnapshot& s) {
  std::string out;
  PutVarint(&out, s.index);
  PutVarint(&out, s.term);
  return out;
}

[[nodiscard]] absl::StatusOr<raft::Entry> DecodeEntry(std::string_view data) {
  raft::Entry e;
  ASSIGN_OR_RETURN(e.term, GetVarint(&data));
  ASSIGN_OR_RETURN(e.index, GetVarint(&data));
  if (data.empty()) return absl::InvalidArgumentError("entry without type");
  uint8_t type = static_cast<uint8_t>(data.front());
  if (type > static_cast<uint8_t>(raft::EntryType::kConfChange)) {
    return absl::InvalidArgumentError("unknown entry type");
  }
  e.type = static_cast<raft::EntryType>(type);
  data.remove_prefix(1);
  e.data.assign(data.data(), data.size());
  return e;
}

[[nodiscard]] absl::StatusOr<raft::HardState> DecodeHardState(std::string_view data) {
  raft::HardState s;
  ASSIGN_OR_RETURN(s.term, GetVarint(&data));
  ASSIGN_OR_RETURN(s.vote, GetVarint(&data));
  ASSIGN_OR_RETURN(s.commit, GetVarint(&data));
  RETURN_NOT_OK(ExpectEmpty(data, "hard state"));
  return s;
}

[[nodiscard]] absl::StatusOr<WalSnapshot> DecodeSnapshot(std::string_view data) {
  WalSnapshot s;
  ASSIGN_OR_RETURN(s.index, GetVarint(&data));
  ASSIGN_OR_RETURN(s.term, GetVarint(&data));
  RETURN_NOT_OK(ExpectEmpty(data, "snapshot marker"));
  return s;
}

}  // namespace etcdpp::wal
