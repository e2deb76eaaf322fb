#include "watch/watcher_group.h"

namespace etcdpp::watch {

void EventBatch::Add(const EventPtr& ev) {
  if (more_rev != 0) return;
  const int64_t rev = ev->kv().mod_revision();
  const bool new_rev = events.empty() || events.back()->kv().mod_revision() != rev;
  if (new_rev) {
    if (revs >= kMaxBatchRevs) {
      more_rev = rev;
      return;
    }
    ++revs;
  }
  events.push_back(ev);
}

void WatcherGroup::Add(Watcher* w) {
  if (!all_.insert(w).second) return;
  if (w->range.IsSingleKey()) {
    by_key_[w->range.key].insert(w);
  } else {
    ranges_.Insert(w->range.key, w->range.end, w->range.from_key, w);
  }
}

bool WatcherGroup::Delete(Watcher* w) {
  if (all_.erase(w) == 0) return false;
  if (w->range.IsSingleKey()) {
    auto it = by_key_.find(std::string_view(w->range.key));
    if (it != by_key_.end()) {
      it->second.erase(w);
      if (it->second.empty()) by_key_.erase(it);
    }
  } else {
    ranges_.Erase(w->range.key, w);
  }
  return true;
}

void WatcherGroup::ForEachMatching(std::string_view key,
                                   absl::FunctionRef<void(Watcher*)> fn) const {
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    for (Watcher* w : it->second) fn(w);
  }
  if (ranges_.size() > 0) ranges_.Stab(key, fn);
}

std::vector<Watcher*> WatcherGroup::Choose(size_t max) const {
  std::vector<Watcher*> out;
  out.reserve(std::min(max, all_.size()));
  for (Watcher* w : all_) {
    if (out.size() >= max) break;
    out.push_back(w);
  }
  return out;
}

}  // namespace etcdpp::watch
