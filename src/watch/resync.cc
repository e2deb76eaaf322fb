#include "watch/watchable_store.h"

namespace etcdpp::watch {

void WatchableStore::Resync() {
  {
    MutexLock l(loop_.mu());
    std::vector<Watcher*> synced = synced_.Choose(synced_.size());
    for (Watcher* w : synced) {
      synced_.Delete(w);
      w->min_rev = std::max(w->min_rev, rev_ + 1);  // synced: it has everything up to rev_
      unsynced_.Add(w);
    }
    rev_ = kv_->Rev();
    kick_ = true;
  }
  loop_.SignalAll();
}

}  // namespace etcdpp::watch
