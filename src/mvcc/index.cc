#include "mvcc/index.h"

#include <mutex>

namespace etcdpp::mvcc {

void Index::VisitLocked(std::string_view key, std::string_view end,
                        absl::FunctionRef<bool(const std::string&, const KeyIndex&)> fn) const {
  if (end.empty()) {
    auto it = tree_.find(key);
    if (it != tree_.end()) fn(it->first, it->second);
    return;
  }
  const bool to_end = end.size() == 1 && end[0] == '\0';
  for (auto it = tree_.lower_bound(key); it != tree_.end(); ++it) {
    if (!to_end && std::string_view(it->first) >= end) break;
    if (!fn(it->first, it->second)) break;
  }
}

std::optional<KeyIndex::Found> Index::Get(std::string_view key, int64_t at_rev) const {
  std::shared_lock lock(mu_);
  auto it = tree_.find(key);
  if (it == tree_.end()) return std::nullopt;
  return it->second.Get(at_rev);
}

std::vector<Revision> Index::Revisions(std::string_view key, std::string_view end, int64_t at_rev,
                                       int64_t limit, int64_t* count) const {
  std::vector<Revision> revs;
  int64_t n = 0;
  std::shared_lock lock(mu_);
  VisitLocked(key, end, [&](const std::string&, const KeyIndex& ki) {
    if (auto f = ki.Get(at_rev)) {
      if (limit <= 0 || n < limit) revs.push_back(f->modified);
      ++n;
      // Without a count to fill, stop once the limit is reached.
      if (count == nullptr && limit > 0 && n >= limit) return false;
    }
    return true;
  });
  if (count != nullptr) *count = n;
  return revs;
}

int64_t Index::CountRevisions(std::string_view key, std::string_view end, int64_t at_rev) const {
  int64_t n = 0;
  std::shared_lock lock(mu_);
  VisitLocked(key, end, [&](const std::string&, const KeyIndex& ki) {
    if (ki.Get(at_rev)) ++n;
    return true;
  });
  return n;
}

std::vector<Index::KeyRev> Index::Range(std::string_view key, std::string_view end,
                                        int64_t at_rev) const {
  std::vector<KeyRev> out;
  std::shared_lock lock(mu_);
  VisitLocked(key, end, [&](const std::string& k, const KeyIndex& ki) {
    if (auto f = ki.Get(at_rev)) out.push_back(KeyRev{k, f->modified});
    return true;
  });
  return out;
}

void Index::Put(std::string_view key, Revision rev) {
  std::unique_lock lock(mu_);
  auto it = tree_.find(key);
  if (it == tree_.end()) it = tree_.emplace(std::string(key), KeyIndex()).first;
  it->second.Put(rev);
}

bool Index::Tombstone(std::string_view key, Revision rev) {
  std::unique_lock lock(mu_);
  auto it = tree_.find(key);
  if (it == tree_.end()) return false;
  return it->second.Tombstone(rev);
}

void Index::RestoreRevision(std::string_view key, Revision rev, bool tombstone, Revision created,
                            int64_t version) {
  std::unique_lock lock(mu_);
  auto it = tree_.find(key);
  if (it == tree_.end()) {
    // A tombstone whose earlier revisions are gone (an interrupted compaction) indexes nothing.
    if (tombstone) return;
    tree_.emplace(std::string(key), KeyIndex()).first->second.Restore(created, rev, version);
    return;
  }
  if (tombstone) {
    it->second.Tombstone(rev);
  } else {
    it->second.Put(rev);
  }
}

RevisionSet Index::Compact(int64_t rev) {
  RevisionSet available;
  std::unique_lock lock(mu_);
  for (auto it = tree_.begin(); it != tree_.end();) {
    it->second.Compact(rev, &available);
    it = it->second.IsEmpty() ? tree_.erase(it) : std::next(it);
  }
  return available;
}

RevisionSet Index::Keep(int64_t rev) const {
  RevisionSet available;
  std::shared_lock lock(mu_);
  for (const auto& [key, ki] : tree_) ki.Keep(rev, &available);
  return available;
}

size_t Index::KeyCountForTest() const {
  std::shared_lock lock(mu_);
  return tree_.size();
}

void Index::Swap(Index* other) {
  std::unique_lock l(mu_);
  std::unique_lock o(other->mu_);
  tree_.swap(other->tree_);
}

}  // namespace etcdpp::mvcc
