#include "raft/log_unstable.h"

#include "absl/strings/str_cat.h"
#include "raft/util.h"

namespace etcdpp::raft {

std::optional<uint64_t> Unstable::MaybeFirstIndex() const {
  if (snapshot_) return snapshot_->metadata.index + 1;
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeLastIndex() const {
  if (!entries_.empty()) return offset_ + entries_.size() - 1;
  if (snapshot_) return snapshot_->metadata.index;
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeTerm(uint64_t i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->metadata.index == i) return snapshot_->metadata.term;
    return std::nullopt;
  }
  std::optional<uint64_t> last = MaybeLastIndex();
  if (!last || i > *last) return std::nullopt;
  if (entries_.empty()) return snapshot_->metadata.term;  // i == snapshot index
  return entries_[i - offset_].term;
}

void Unstable::StableTo(uint64_t i, uint64_t t) {
  std::optional<uint64_t> gt = MaybeTerm(i);
  if (!gt || *gt != t || i < offset_) return;
  entries_.erase(entries_.begin(), entries_.begin() + (i + 1 - offset_));
  offset_ = i + 1;
}

void Unstable::StableSnapTo(uint64_t i) {
  if (snapshot_ && snapshot_->metadata.index == i) snapshot_.reset();
}

void Unstable::Restore(const Snapshot& snap) {
  offset_ = snap.metadata.index + 1;
  entries_.clear();
  snapshot_ = snap;
}

void Unstable::TruncateAndAppend(const std::vector<Entry>& ents) {
  if (ents.empty()) return;
  uint64_t after = ents.front().index;
  if (after == offset_ + entries_.size()) {
    // Directly after the current tail.
  } else if (after <= offset_) {
    // Replaces all unstable entries.
    offset_ = after;
    entries_.clear();
  } else {
    // Keeps [offset_, after), replaces the rest.
    entries_.resize(after - offset_);
  }
  entries_.insert(entries_.end(), ents.begin(), ents.end());
}

std::vector<Entry> Unstable::Slice(uint64_t lo, uint64_t hi) const {
  uint64_t upper = offset_ + entries_.size();
  if (lo > hi || lo < offset_ || hi > upper) {
    Fatal(
        absl::StrCat("unstable.slice[", lo, ",", hi, ") out of bound [", offset_, ",", upper, "]"));
  }
  return std::vector<Entry>(entries_.begin() + (lo - offset_), entries_.begin() + (hi - offset_));
}

}  // namespace etcdpp::raft
