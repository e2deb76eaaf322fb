#include "raft/storage.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/error_id.h"

namespace etcdpp::raft {
namespace {

constexpr char kCompactedMsg[] = "requested index is unavailable due to compaction";
constexpr char kSnapOutOfDateMsg[] = "requested index is older than the existing snapshot";
constexpr char kUnavailableMsg[] = "requested entry at index is unavailable";
constexpr char kSnapTempMsg[] = "snapshot is temporarily unavailable";

}  // namespace

[[nodiscard]] absl::Status CompactedError() {
  return WithErrorId(absl::OutOfRangeError(kCompactedMsg), kCompactedId);
}
[[nodiscard]] absl::Status SnapOutOfDateError() {
  return WithErrorId(absl::FailedPreconditionError(kSnapOutOfDateMsg), kSnapOutOfDateId);
}
[[nodiscard]] absl::Status UnavailableError() {
  return WithErrorId(absl::NotFoundError(kUnavailableMsg), kUnavailableId);
}
[[nodiscard]] absl::Status SnapshotTemporarilyUnavailableError() {
  return WithErrorId(absl::UnavailableError(kSnapTempMsg), kSnapshotTemporarilyUnavailableId);
}
bool IsCompacted(const absl::Status& s) { return HasErrorId(s, kCompactedId); }
bool IsSnapOutOfDate(const absl::Status& s) { return HasErrorId(s, kSnapOutOfDateId); }
bool IsUnavailable(const absl::Status& s) { return HasErrorId(s, kUnavailableId); }
bool IsSnapshotTemporarilyUnavailable(const absl::Status& s) {
  return HasErrorId(s, kSnapshotTemporarilyUnavailableId);
}

uint64_t EntrySize(const Entry& e) { return e.data.size() + 24; }

void LimitSize(std::vector<Entry>* ents, uint64_t max_size) {
  if (ents->empty()) return;
  uint64_t size = EntrySize((*ents)[0]);
  size_t n = 1;
  for (; n < ents->size(); ++n) {
    size += EntrySize((*ents)[n]);
    if (size > max_size) break;
  }
  ents->resize(n);
}

MemoryStorage::MemoryStorage() { ents_.resize(1); }

uint64_t MemoryStorage::FirstIndexLocked() const { return ents_[0].index + 1; }
uint64_t MemoryStorage::LastIndexLocked() const { return ents_[0].index + ents_.size() - 1; }

absl::Status MemoryStorage::InitialState(HardState* hs, ConfState* cs) const {
  MutexLock l(&mu_);
  *hs = hard_state_;
  *cs = snapshot_.metadata.conf_state;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Entry>> MemoryStorage::Entries(uint64_t lo, uint64_t hi,
                                                          uint64_t max_size) const {
  MutexLock l(&mu_);
  uint64_t offset = ents_[0].index;
  if (lo <= offset) return CompactedError();
  if (hi > LastIndexLocked() + 1) return UnavailableError();
  if (ents_.size() == 1) return UnavailableError();  // only the dummy entry
  // Copy only what the size limit lets through (LimitSize's rule: the first entry always),
  // not the whole range: a restart replays the log in max-size Readies, and copying the rest
  // of the log for each of them made a replay quadratic.
  auto first = ents_.begin() + (lo - offset), last = ents_.begin() + (hi - offset);
  auto end = first + 1;
  for (uint64_t size = EntrySize(*first); end != last; ++end) {
    size += EntrySize(*end);
    if (size > max_size) break;
  }
  return std::vector<Entry>(first, end);
}

absl::StatusOr<uint64_t> MemoryStorage::Term(uint64_t i) const {
  MutexLock l(&mu_);
  uint64_t offset = ents_[0].index;
  if (i < offset) return CompactedError();
  if (i - offset >= ents_.size()) return UnavailableError();
  return ents_[i - offset].term;
}

absl::StatusOr<uint64_t> MemoryStorage::LastIndex() const {
  MutexLock l(&mu_);
  return LastIndexLocked();
}

absl::StatusOr<uint64_t> MemoryStorage::FirstIndex() const {
  MutexLock l(&mu_);
  return FirstIndexLocked();
}

absl::StatusOr<Snapshot> MemoryStorage::GetSnapshot() const {
  MutexLock l(&mu_);
  return snapshot_;
}

absl::Status MemoryStorage::SetHardState(const HardState& hs) {
  MutexLock l(&mu_);
  hard_state_ = hs;
  return absl::OkStatus();
}

absl::Status MemoryStorage::ApplySnapshot(const Snapshot& snap) {
  MutexLock l(&mu_);
  if (snapshot_.metadata.index >= snap.metadata.index) return SnapOutOfDateError();
  snapshot_ = snap;
  ents_.assign(1, Entry{.term = snap.metadata.term, .index = snap.metadata.index});
  return absl::OkStatus();
}

absl::StatusOr<Snapshot> MemoryStorage::CreateSnapshot(uint64_t i, const ConfState* cs,
                                                       std::string data) {
  MutexLock l(&mu_);
  if (i <= snapshot_.metadata.index) return SnapOutOfDateError();
  if (i > LastIndexLocked()) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot index ", i, " is out of bound lastindex ", LastIndexLocked()));
  }
  snapshot_.metadata.index = i;
  snapshot_.metadata.term = ents_[i - ents_[0].index].term;
  if (cs != nullptr) snapshot_.metadata.conf_state = *cs;
  snapshot_.data = std::move(data);
  return snapshot_;
}

absl::Status MemoryStorage::Compact(uint64_t compact_index) {
  MutexLock l(&mu_);
  uint64_t offset = ents_[0].index;
  if (compact_index <= offset) return CompactedError();
  if (compact_index > LastIndexLocked()) {
    return absl::InvalidArgumentError(
        absl::StrCat("compact ", compact_index, " is out of bound lastindex ", LastIndexLocked()));
  }
  uint64_t i = compact_index - offset;
  Entry dummy{.term = ents_[i].term, .index = ents_[i].index};
  ents_.erase(ents_.begin(), ents_.begin() + i);
  ents_[0] = dummy;
  return absl::OkStatus();
}

absl::Status MemoryStorage::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  MutexLock l(&mu_);
  for (size_t k = 1; k < entries.size(); ++k) {
    if (entries[k].index != entries[k - 1].index + 1) {
      return absl::InvalidArgumentError("raft: appended entries are not contiguous");
    }
  }
  uint64_t first = FirstIndexLocked();
  uint64_t last = entries.back().index;
  if (last < first) return absl::OkStatus();  // all already compacted
  auto begin = entries.begin();
  if (first > entries.front().index) begin += first - entries.front().index;
  uint64_t start = begin->index;
  if (start > LastIndexLocked() + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "raft: missing log entry [last: ", LastIndexLocked(), ", append at: ", start, "]"));
  }
  ents_.resize(start - ents_[0].index);
  ents_.insert(ents_.end(), begin, entries.end());
  return absl::OkStatus();
}

}  // namespace etcdpp::raft
