#pragma once
// Watcher: one watch of one stream, as the watchable store tracks it (etcd's mvcc watcher).
// Every field but the constants is guarded by the store's mutex.

#include <cstdint>
#include <vector>

#include "watch/key_range.h"

namespace etcdpp::watch {

class WatchStream;

// The events of one watcher gathered for one send (etcd's eventBatch). A batch holds at most
// kMaxBatchRevs revisions; the first revision left out is more_rev.
struct EventBatch {
  static constexpr int kMaxBatchRevs = 1000;
  std::vector<EventPtr> events;
  int revs = 0;
  int64_t more_rev = 0;

  // Adds ev unless the batch is full (then records more_rev).
  void Add(const EventPtr& ev);
};

struct Watcher {
  // Constant after creation.
  KeyRange range;
  WatchId id = 0;
  bool no_put = false;
  bool no_delete = false;
  bool progress_notify = false;   // periodic progress notifications
  bool prev_kv = false;           // passed through to the service
  bool fragment = false;          // passed through to the service
  WatchStream* stream = nullptr;  // not owned; the stream cancels its watchers before it dies
  uint64_t serial = 0;            // unique per store (set by Add): tells reused addresses apart

  // Guarded by the store's mutex.
  int64_t min_rev = 0;           // the next revision this watcher must receive
  bool victim = false;           // a send failed; `pending` waits for room in the stream
  bool compacted = false;        // told compact_revision; out of every group
  EventBatch pending;            // a victim's undelivered batch
  int64_t pending_rev = 0;       // the header revision of `pending`
  bool sent_since_tick = false;  // events went out since the last progress tick

  // True if the watcher's filters drop ev.
  bool Filters(const mvccpb::Event& ev) const {
    return (no_put && ev.type() == mvccpb::Event::PUT) ||
           (no_delete && ev.type() == mvccpb::Event::DELETE);
  }
};

}  // namespace etcdpp::watch
