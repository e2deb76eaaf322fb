#include "raft/confchange.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace etcdpp::raft {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderSize = 14;

void PutFixed(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetFixed(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

}  // namespace

std::string EncodeConfChange(const ConfChange& cc) {
  std::string out;
  out.reserve(kHeaderSize + cc.context.size());
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(cc.type));
  PutFixed(&out, cc.node_id, 8);
  PutFixed(&out, cc.context.size(), 4);
  out.append(cc.context);
  return out;
}

[[nodiscard]] absl::StatusOr<ConfChange> DecodeConfChange(std::string_view data) {
  if (data.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: conf change too short (", data.size(), " bytes)"));
  }
  if (static_cast<uint8_t>(data[0]) != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: unknown conf change version ", static_cast<uint8_t>(data[0])));
  }
  uint8_t type = static_cast<uint8_t>(data[1]);
  if (type > static_cast<uint8_t>(ConfChangeType::kAddLearnerNode)) {
    return absl::InvalidArgumentError(absl::StrCat("raft: unknown conf change type ", type));
  }
  uint64_t len = GetFixed(data.substr(10), 4);
  if (data.size() != kHeaderSize + len) {
    return absl::InvalidArgumentError("raft: conf change length mismatch");
  }
  ConfChange cc;
  cc.type = static_cast<ConfChangeType>(type);
  cc.node_id = GetFixed(data.substr(2), 8);
  cc.context = std::string(data.substr(kHeaderSize));
  return cc;
}

}  // namespace etcdpp::raft
