#include "watch/watchable_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "watch/history.h"

namespace etcdpp::watch {

WatchableStore::WatchableStore(mvcc::KvStore* kv, StoreOptions o)
    : kv_(kv), opts_(o), rev_(kv->Rev()) {
  kv_->SetObserver(this);
  if (!opts_.manual_sync) loop_.Start("etcdpp-wsync", [this] { Loop(); });
}

WatchableStore::~WatchableStore() {
  loop_.Stop();
  kv_->SetObserver(nullptr);
}

void WatchableStore::OnTxnEnd(int64_t rev, const std::vector<mvccpb::KeyValue>& changes) {
  MutexLock l(loop_.mu());
  rev_ = rev;
  if (!progress_wanted_.empty()) AnswerProgressLocked();  // a watcher's start may be reached
  if (synced_.empty()) return;                            // nobody watches: nothing to build
  // Events are built once, on the first watcher they match, and shared.
  absl::flat_hash_map<Watcher*, std::vector<EventPtr>> batches;
  std::vector<Watcher*> order;  // first-match order, so sends are deterministic
  for (const mvccpb::KeyValue& change : changes) {
    EventPtr ev;
    synced_.ForEachMatching(change.key(), [&](Watcher* w) {
      if (rev < w->min_rev) return;
      if (!ev) ev = MakeEvent(change, rev);
      auto [it, inserted] = batches.try_emplace(w);
      if (inserted) order.push_back(w);
      it->second.push_back(ev);
    });
  }
  for (Watcher* w : order) {
    std::vector<EventPtr>& evs = batches[w];
    if (SendLocked(w, evs, rev)) continue;
    EventBatch b;
    b.events = std::move(evs);
    b.revs = 1;
    w->min_rev = rev + 1;
    synced_.Delete(w);
    MakeVictimLocked(w, std::move(b), rev);
  }
}

void WatchableStore::Add(Watcher* w, int64_t start_rev) {
  MutexLock l(loop_.mu());
  w->serial = next_serial_++;
  by_stream_[w->stream].insert(w);
  if (w->progress_notify) progress_.insert(w);
  if (start_rev <= 0 || start_rev > rev_) {
    w->min_rev = std::max(rev_ + 1, start_rev);
    synced_.Add(w);
    return;
  }
  w->min_rev = start_rev;
  unsynced_.Add(w);
  kick_ = true;
  loop_.SignalAll();
}

void WatchableStore::Cancel(Watcher* w) {
  MutexLock l(loop_.mu());
  progress_.erase(w);
  if (auto it = by_stream_.find(w->stream); it != by_stream_.end()) {
    it->second.erase(w);
    if (it->second.empty()) {
      by_stream_.erase(it);
      progress_wanted_.erase(w->stream);
    }
  }
  const bool was_waiting = progress_wanted_.contains(w->stream);
  if (!synced_.Delete(w) && !unsynced_.Delete(w) && victims_.erase(w) > 0) {
    w->pending = EventBatch();
    w->victim = false;
  }
  // The watcher that held the stream's progress answer back may be this one.
  if (was_waiting && TryProgressLocked(w->stream)) progress_wanted_.erase(w->stream);
}

void WatchableStore::RequestProgress(WatchStream* s) {
  MutexLock l(loop_.mu());
  if (progress_wanted_.contains(s)) return;  // one answer covers the requests still waiting
  if (!TryProgressLocked(s)) progress_wanted_.insert(s);
}

bool WatchableStore::AtRevLocked(const Watcher* w) const {
  return w->compacted || (synced_.Contains(const_cast<Watcher*>(w)) && w->min_rev <= rev_ + 1);
}

bool WatchableStore::TryProgressLocked(WatchStream* s) {
  auto it = by_stream_.find(s);
  if (it == by_stream_.end()) return true;  // no watcher: no answer (etcd 3.5)
  for (const Watcher* w : it->second) {
    if (!AtRevLocked(w)) return false;
  }
  Response r;
  r.watch_id = kInvalidWatchId;
  r.revision = rev_;
  s->SendControl(std::move(r));
  return true;
}

void WatchableStore::AnswerProgressLocked() {
  for (auto it = progress_wanted_.begin(); it != progress_wanted_.end();) {
    auto cur = it++;
    if (TryProgressLocked(*cur)) progress_wanted_.erase(cur);
  }
}

bool WatchableStore::SendLocked(Watcher* w, std::vector<EventPtr> evs, int64_t rev) {
  const bool progress = evs.empty();
  if (w->no_put || w->no_delete) {
    evs.erase(
        std::remove_if(evs.begin(), evs.end(), [w](const EventPtr& ev) { return w->Filters(*ev); }),
        evs.end());
    if (!progress && evs.empty()) return true;  // everything filtered: nothing to send
  }
  Response r;
  r.watch_id = w->id;
  r.revision = rev;
  r.events = std::move(evs);
  r.prev_kv = w->prev_kv;
  r.fragment = w->fragment;
  if (!w->stream->TrySend(std::move(r))) return false;
  if (!progress) w->sent_since_tick = true;
  return true;
}

void WatchableStore::MakeVictimLocked(Watcher* w, EventBatch batch, int64_t rev) {
  w->victim = true;
  w->pending = std::move(batch);
  w->pending_rev = rev;
  victims_.insert(w);
}

void WatchableStore::PlaceLocked(Watcher* w) {
  if (w->min_rev > rev_) {
    synced_.Add(w);
  } else {
    unsynced_.Add(w);
  }
}

void WatchableStore::RetryVictimsLocked() {
  absl::flat_hash_set<WatchStream*> full;  // streams that refused this round
  std::vector<Watcher*> sent;
  for (Watcher* w : victims_) {
    if (full.contains(w->stream)) continue;
    if (!SendLocked(w, w->pending.events, w->pending_rev)) {
      full.insert(w->stream);
      continue;
    }
    sent.push_back(w);
  }
  for (Watcher* w : sent) {
    victims_.erase(w);
    w->victim = false;
    if (w->pending.more_rev != 0) w->min_rev = w->pending.more_rev;
    w->pending = EventBatch();
    PlaceLocked(w);
  }
  if (!sent.empty() && !progress_wanted_.empty()) AnswerProgressLocked();
}

void WatchableStore::RetryVictimsForTest() {
  MutexLock l(loop_.mu());
  RetryVictimsLocked();
}

void WatchableStore::ProgressTickLocked() {
  for (Watcher* w : progress_) {
    if (!w->sent_since_tick && AtRevLocked(w) && !w->compacted) (void)SendLocked(w, {}, rev_);
    w->sent_since_tick = false;
  }
}

std::vector<WatchableStore::Chosen> WatchableStore::ChooseLocked(int64_t compact,
                                                                 int64_t* min_rev) {
  std::vector<Chosen> chosen;
  *min_rev = std::numeric_limits<int64_t>::max();
  for (Watcher* w : unsynced_.Choose(opts_.max_watchers_per_sync)) {
    if (w->min_rev < compact) {
      Response r;
      r.watch_id = w->id;
      r.compact_revision = compact;
      if (w->stream->TrySend(std::move(r))) {  // else: retried next round
        w->compacted = true;
        unsynced_.Delete(w);
      }
      continue;
    }
    if (w->min_rev > rev_) {  // nothing to read (cannot happen: Add puts these in synced)
      unsynced_.Delete(w);
      synced_.Add(w);
      continue;
    }
    *min_rev = std::min(*min_rev, w->min_rev);
    chosen.push_back(Chosen{w, w->serial});
  }
  return chosen;
}

bool WatchableStore::SyncWatchers() {
  std::vector<Chosen> chosen;
  int64_t min_rev = 0, cur = 0;
  {
    MutexLock l(loop_.mu());
    if (unsynced_.empty()) return false;
    cur = rev_;
    chosen = ChooseLocked(kv_->CompactRev(), &min_rev);
    if (chosen.empty()) return false;
  }
  int64_t read_to = cur;
  auto evs = ReadHistory(*kv_, min_rev, cur, EventBatch::kMaxBatchRevs, &read_to);
  MutexLock l(loop_.mu());
  if (!evs.ok()) return false;  // retried next round
  // A compaction that overtook the read may have removed revisions the read wanted: those
  // watchers stay unsynced and are told compact_revision next round.
  const int64_t compact = kv_->CompactRev();
  std::vector<Chosen> valid;
  for (const Chosen& c : chosen) {
    if (unsynced_.Contains(c.w) && c.w->serial == c.serial && c.w->min_rev >= compact) {
      valid.push_back(c);
    }
  }
  DeliverLocked(valid, *evs, read_to, cur);
  if (!progress_wanted_.empty()) AnswerProgressLocked();
  return !unsynced_.empty();
}

void WatchableStore::DeliverLocked(const std::vector<Chosen>& chosen,
                                   const std::vector<EventPtr>& evs, int64_t read_to,
                                   int64_t header_rev) {
  WatcherGroup group;
  for (const Chosen& c : chosen) group.Add(c.w);
  absl::flat_hash_map<Watcher*, EventBatch> batches;
  for (const EventPtr& ev : evs) {
    group.ForEachMatching(ev->kv().key(), [&](Watcher* w) {
      if (ev->kv().mod_revision() >= w->min_rev) batches[w].Add(ev);
    });
  }
  for (const Chosen& c : chosen) {
    Watcher* w = c.w;
    EventBatch& b = batches[w];
    // A watcher that starts above where a cut read stopped keeps its min_rev: moving it back
    // to read_to + 1 would deliver revisions it already has (or never asked for).
    w->min_rev = b.more_rev != 0 ? b.more_rev : std::max(w->min_rev, read_to + 1);
    unsynced_.Delete(w);
    if (!b.events.empty() && !SendLocked(w, b.events, header_rev)) {
      b.more_rev = 0;  // min_rev already says where to go on
      MakeVictimLocked(w, std::move(b), header_rev);
      continue;
    }
    PlaceLocked(w);
  }
}

void WatchableStore::Loop() {
  absl::Time next_sync = absl::Now();
  absl::Time next_progress = absl::Now() + opts_.progress_interval;
  for (;;) {
    bool sync_now = false;
    {
      MutexLock l(loop_.mu());
      absl::Duration wait = victims_.empty() ? opts_.sync_interval : opts_.victim_interval;
      if (!kick_ && !loop_.stopping()) loop_.WaitFor(absl::ToChronoNanoseconds(wait));
      if (loop_.stopping()) return;
      if (!victims_.empty()) RetryVictimsLocked();
      const absl::Time now = absl::Now();
      if (now >= next_progress) {
        ProgressTickLocked();
        next_progress = now + opts_.progress_interval;
      }
      sync_now = kick_ || now >= next_sync;
      kick_ = false;
    }
    if (!sync_now) continue;
    const bool more = SyncWatchers();
    next_sync = absl::Now() + opts_.sync_interval;
    if (more) {
      MutexLock l(loop_.mu());
      kick_ = true;  // watchers are catching up: go on without waiting
    }
  }
}

WatchableStore::Counts WatchableStore::GetCounts() const {
  MutexLock l(loop_.mu());
  return Counts{synced_.size(), unsynced_.size(), victims_.size()};
}

}  // namespace etcdpp::watch
