#pragma once
// KeyRange: what a watcher watches (etcd's watcher key / end), and Response: what the
// watchable store hands a stream (etcd's mvcc.WatchResponse, plus the control fields the
// service adds for created / canceled answers).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mvccpb/kv.pb.h"

namespace etcdpp::watch {

using WatchId = int64_t;
// A create request with this id asks the stream to pick one (clientv3.AutoWatchID).
inline constexpr WatchId kAutoWatchId = 0;
// The id of answers that belong to no watcher (clientv3.InvalidWatchID).
inline constexpr WatchId kInvalidWatchId = -1;

// Events are immutable once built and shared by every watcher they match.
using EventPtr = std::shared_ptr<const mvccpb::Event>;

// A single key (end empty, from_key false), every key >= key (from_key), or [key, end).
struct KeyRange {
  std::string key;
  std::string end;
  bool from_key = false;

  bool IsSingleKey() const { return end.empty() && !from_key; }
  bool Contains(std::string_view k) const;
};

struct Response {
  WatchId watch_id = 0;
  int64_t revision = 0;          // the header revision
  int64_t compact_revision = 0;  // set: the watcher was compacted and is gone
  std::vector<EventPtr> events;  // empty: a progress notification (or a control answer)
  // The watcher's presentation options, for the service (etcd keeps them in its own maps).
  bool prev_kv = false;
  bool fragment = false;
  // Control answers (created / canceled / stream progress) built by the service. They are
  // queued in order with events but never count against the stream's event buffer.
  bool control = false;
  bool created = false;
  bool canceled = false;
  std::string cancel_reason;
};

// Builds the event of one change of a write txn (etcd's watchableStoreTxnWrite.End): a
// change without create_revision is a deletion at `rev`.
EventPtr MakeEvent(const mvccpb::KeyValue& change, int64_t rev);

}  // namespace etcdpp::watch
