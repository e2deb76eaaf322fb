#pragma once
// Watchers of the v2 store (etcd 3.4 v2store/watcher.go and watcher_hub.go), without threads:
// the store notifies synchronously, inside the mutation, and a watcher queues what it gets for
// its owner to drain with Next().
//
// A watcher is one-shot (it leaves the hub after its first event, as a v2 `wait=true` request)
// or a stream (it stays). A watch whose waitIndex finds an event in the history gets that event
// at once and is never registered (for a stream too: etcd's behaviour). A watcher whose queue
// is full (kWatcherQueueCapacity, etcd's channel buffer) when an event comes loses its place in
// the hub, as etcd drops a watcher that cannot keep up; closed() then says no more will come.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "server/v2store/error.h"
#include "server/v2store/event.h"
#include "server/v2store/event_history.h"

namespace etcdpp::server::v2store {

inline constexpr size_t kWatcherQueueCapacity = 100;

class WatcherHub;

class Watcher {
 public:
  ~Watcher();  // leaves the hub if still in it
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // The oldest queued event, removed from the queue; nullopt when none is queued.
  std::optional<Event> Next();
  bool has_events() const { return !queue_.empty(); }
  // True once no further event will be queued (one-shot fired, dropped, removed, or the hub
  // is gone). Queued events stay readable.
  bool closed() const { return hub_ == nullptr; }
  // The store index when the watch began (etcd's StartIndex, the X-Etcd-Index of the answer).
  uint64_t start_index() const { return start_index_; }
  // Leaves the hub (the client went away). Idempotent.
  void Remove();

 private:
  friend class WatcherHub;
  Watcher(WatcherHub* hub, bool recursive, bool stream, uint64_t since_index, uint64_t start_index)
      : hub_(hub),
        recursive_(recursive),
        stream_(stream),
        since_index_(since_index),
        start_index_(start_index) {}

  // Queues `e` if this watcher wants it; returns whether it did (or tried: a full queue drops
  // the watcher from the hub).
  bool Notify(const Event& e, bool original_path, bool deleted);

  WatcherHub* hub_;  // not owned; null once out of the hub (the hub outlives it or detaches it)
  std::string key_;  // the clean path registered under
  std::list<Watcher*>::iterator position_;  // in the hub's list for key_, while registered
  const bool recursive_;
  const bool stream_;
  const uint64_t since_index_;
  const uint64_t start_index_;
  std::deque<Event> queue_;
};

class WatcherHub {
 public:
  WatcherHub() = default;
  ~WatcherHub();  // detaches the watchers still registered (they become closed)
  WatcherHub(const WatcherHub&) = delete;
  WatcherHub& operator=(const WatcherHub&) = delete;

  // A watcher of clean path `key` for events at or after `since_index`; `store_index` is the
  // store's current index. Error 401 when since_index is older than the history.
  Result<std::unique_ptr<Watcher>> Watch(const std::string& key, bool recursive, bool stream,
                                         uint64_t since_index, uint64_t store_index);

  // Records `e` in the history and notifies the watchers of its key and of each directory
  // above it.
  void Notify(const Event& e);
  // Records `e` in the history without notifying anyone (a TTL refresh).
  void Add(const Event& e) { history_.Add(e); }
  // Notifies the watchers registered at exactly `path` (`deleted`: the node at `path` is being
  // removed with a directory above it, or itself).
  void NotifyWatchers(const Event& e, const std::string& path, bool deleted);

  size_t count() const { return count_; }
  EventHistory& history() { return history_; }
  const EventHistory& history() const { return history_; }

 private:
  friend class Watcher;
  void Unregister(Watcher* w);

  std::map<std::string, std::list<Watcher*>> watchers_;  // by clean path; lists never empty
  size_t count_ = 0;                                     // registered watchers
  EventHistory history_;
};

}  // namespace etcdpp::server::v2store
