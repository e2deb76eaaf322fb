#include "raft/sim/state_machine.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace etcdpp::raft::sim {
namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h * 0xFF51AFD7ED558CCDull;
}

}  // namespace

uint64_t HashEntry(uint64_t prev, const Entry& e) {
  uint64_t h = Mix(prev, e.index);
  h = Mix(h, e.term);
  h = Mix(h, static_cast<uint64_t>(e.type));
  uint64_t fnv = 0xCBF29CE484222325ull;
  for (char c : e.data) fnv = (fnv ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  return Mix(h, fnv);
}

void StateMachine::Apply(const Entry& e) {
  index = e.index;
  hash = HashEntry(hash, e);
}

std::ostream& operator<<(std::ostream& os, const StateMachine& sm) {
  return os << "{applied " << sm.index << " hash " << sm.hash << "}";
}

std::string EncodeSnapshotData(const StateMachine& sm) {
  return absl::StrCat(sm.index, ":", sm.hash);
}

[[nodiscard]] absl::StatusOr<StateMachine> DecodeSnapshot(const Snapshot& snap) {
  std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(snap.data, ':');
  StateMachine sm;
  if (!absl::SimpleAtoi(p.first, &sm.index) || !absl::SimpleAtoi(p.second, &sm.hash)) {
    return absl::InvalidArgumentError(absl::StrCat("bad snapshot data '", snap.data, "'"));
  }
  if (sm.index != snap.metadata.index) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot data at ", sm.index, " but metadata at ", snap.metadata.index));
  }
  sm.conf = snap.metadata.conf_state;
  return sm;
}

}  // namespace etcdpp::raft::sim
