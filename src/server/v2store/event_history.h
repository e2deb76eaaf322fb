#pragma once
// The last `capacity` events (etcd keeps 1000), which a watch with a waitIndex looks back into
// (etcd 3.4 v2store/event_history.go). Each mutation adds one event, so the indexes held run
// without gaps from start_index() to last_index().

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

#include "server/v2store/error.h"
#include "server/v2store/event.h"

namespace etcdpp::server::v2store {

inline constexpr size_t kEventHistoryCapacity = 1000;

class EventHistory {
 public:
  explicit EventHistory(size_t capacity = kEventHistoryCapacity) : capacity_(capacity) {}

  // Adds `e`, dropping the oldest event when full.
  void Add(const Event& e);

  // The first event at or after `index` that a watcher of `key` would get: one at `key`, or
  // below it when `recursive`, or the deletion or expiry of a directory whose path is a prefix
  // of `key` (a plain string prefix, as etcd). Refresh events are skipped. nullopt when none
  // has happened yet. Error 401 (index 0; the caller sets it) when `index` is older than the
  // oldest event held.
  Result<std::optional<Event>> Scan(std::string_view key, bool recursive, uint64_t index) const;

  uint64_t start_index() const { return start_index_; }
  uint64_t last_index() const { return last_index_; }
  size_t capacity() const { return capacity_; }
  const std::deque<Event>& events() const { return events_; }

  // Replaces the content (a snapshot's); `events` oldest first, at most capacity().
  void Restore(std::deque<Event> events);

 private:
  // Constant after construction.
  size_t capacity_;

  // Invariant: size() <= capacity_; start_index_ and last_index_ are the indexes of the first
  // and last event (0 while empty).
  std::deque<Event> events_;
  uint64_t start_index_ = 0;
  uint64_t last_index_ = 0;
};

}  // namespace etcdpp::server::v2store
