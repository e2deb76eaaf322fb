#include "mvcc/key_index.h"

#include <cstdio>
#include <cstdlib>

namespace etcdpp::mvcc {
namespace {

[[noreturn]] void InvariantFailed(const char* what, Revision rev, Revision modified) {
  std::fprintf(stderr, "mvcc: key index invariant: %s (rev %lld.%lld, modified %lld.%lld)\n", what,
               static_cast<long long>(rev.main), static_cast<long long>(rev.sub),
               static_cast<long long>(modified.main), static_cast<long long>(modified.sub));
  std::abort();
}

// Index of the newest revision of g for which `stop` holds, walking from the newest; -1 if none.
template <typename Pred>
int WalkNewestFirst(const Generation& g, Pred stop) {
  for (int i = static_cast<int>(g.revs.size()) - 1; i >= 0; --i) {
    if (stop(g.revs[i])) return i;
  }
  return -1;
}

}  // namespace

void KeyIndex::Put(Revision rev) {
  if (!(rev > modified_)) InvariantFailed("put of a revision not above the last", rev, modified_);
  if (generations_.empty()) generations_.emplace_back();
  Generation& g = generations_.back();
  if (g.revs.empty()) g.created = rev;
  g.revs.push_back(rev);
  g.ver++;
  modified_ = rev;
}

bool KeyIndex::Tombstone(Revision rev) {
  if (generations_.empty() || generations_.back().IsEmpty()) return false;
  Put(rev);
  generations_.emplace_back();
  return true;
}

void KeyIndex::Restore(Revision created, Revision modified, int64_t ver) {
  if (!generations_.empty()) InvariantFailed("restore of a non-empty key", modified, modified_);
  modified_ = modified;
  generations_.push_back(Generation{ver, created, {modified}});
}

bool KeyIndex::IsEmpty() const {
  return generations_.empty() || (generations_.size() == 1 && generations_[0].IsEmpty());
}

const Generation* KeyIndex::FindGeneration(int64_t rev) const {
  const size_t last = generations_.size() - 1;
  for (size_t i = generations_.size(); i-- > 0;) {
    const Generation& g = generations_[i];
    if (g.IsEmpty()) continue;
    // A closed generation whose tombstone is at or before rev: the key was deleted at rev.
    if (i != last && g.revs.back().main <= rev) return nullptr;
    if (g.revs.front().main <= rev) return &g;
  }
  return nullptr;
}

std::optional<KeyIndex::Found> KeyIndex::Get(int64_t at_rev) const {
  if (IsEmpty()) return std::nullopt;
  const Generation* g = FindGeneration(at_rev);
  if (g == nullptr) return std::nullopt;
  int n = WalkNewestFirst(*g, [&](Revision r) { return r.main <= at_rev; });
  if (n < 0) return std::nullopt;
  return Found{g->revs[n], g->created, g->ver - static_cast<int64_t>(g->revs.size() - n - 1)};
}

std::vector<Revision> KeyIndex::Since(int64_t rev) const {
  std::vector<Revision> out;
  if (IsEmpty()) return out;
  const Revision since{rev, 0};
  size_t gi = generations_.size() - 1;
  for (; gi > 0; --gi) {
    const Generation& g = generations_[gi];
    if (g.IsEmpty()) continue;
    if (since > g.created) break;
  }
  int64_t last = 0;
  for (; gi < generations_.size(); ++gi) {
    for (const Revision& r : generations_[gi].revs) {
      if (since > r) continue;
      if (!out.empty() && r.main == last) {
        out.back() = r;  // keep the highest sub of a main revision
        continue;
      }
      out.push_back(r);
      last = r.main;
    }
  }
  return out;
}

std::pair<size_t, int> KeyIndex::DoCompact(int64_t at_rev, RevisionSet* available) const {
  // Skip the generations that were closed (tombstoned) at or before at_rev.
  size_t gi = 0;
  while (gi + 1 < generations_.size() && generations_[gi].revs.back().main <= at_rev) ++gi;
  const Generation& g = generations_[gi];
  int ri = WalkNewestFirst(g, [&](Revision r) { return r.main <= at_rev; });
  if (ri >= 0) available->insert(g.revs[ri]);
  return {gi, ri};
}

void KeyIndex::Compact(int64_t at_rev, RevisionSet* available) {
  if (IsEmpty()) InvariantFailed("compact of an empty key", Revision{at_rev, 0}, modified_);
  auto [gi, ri] = DoCompact(at_rev, available);
  Generation& g = generations_[gi];
  if (!g.IsEmpty()) {
    if (ri > 0) g.revs.erase(g.revs.begin(), g.revs.begin() + ri);
    // Only the tombstone is left: the whole generation goes.
    if (g.revs.size() == 1 && gi != generations_.size() - 1) {
      available->erase(g.revs[0]);
      ++gi;
    }
  }
  generations_.erase(generations_.begin(), generations_.begin() + gi);
}

void KeyIndex::Keep(int64_t at_rev, RevisionSet* available) const {
  if (IsEmpty()) return;
  auto [gi, ri] = DoCompact(at_rev, available);
  const Generation& g = generations_[gi];
  if (!g.IsEmpty() && ri == static_cast<int>(g.revs.size()) - 1 && gi != generations_.size() - 1) {
    available->erase(g.revs[ri]);  // a tombstone is not kept
  }
}

}  // namespace etcdpp::mvcc
