#pragma once
// WatchStream: the watches of one client stream and the queue of answers waiting to be sent
// (etcd's watchStream and its channel).
//
// The queue is bounded for events: at most kMaxBufferedEvents event or progress responses
// wait at a time (etcd's chanBufLen); a TrySend past that fails and the store makes the
// watcher a victim. Control answers (created, canceled, stream progress) are always queued, in
// order with the events, so that a watcher's created answer precedes its first event; they
// grow only with the client's own requests, and the service stops reading requests while
// ControlBacklog() is large.
//
// The consumer (the service's reactor) takes answers with Next(); when Next() finds the queue
// empty the consumer is idle, and the next answer queued calls `wake` (outside every lock).

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "watch/key_range.h"
#include "watch/watcher.h"

namespace etcdpp::watch {

class WatchableStore;

struct WatchOptions {
  WatchId id = kAutoWatchId;  // kAutoWatchId: the stream picks the lowest unused id from 0 up
  KeyRange range;
  int64_t start_rev = 0;  // the first revision to deliver (the caller resolves 0)
  bool no_put = false;
  bool no_delete = false;
  bool progress_notify = false;
  bool prev_kv = false;
  bool fragment = false;
  int64_t header_rev = 0;  // the revision the created answer reports
};

class WatchStream {
 public:
  static constexpr size_t kMaxBufferedEvents = 128;

  // `store` is not owned and must outlive the stream.
  WatchStream(WatchableStore* store, std::function<void()> wake);
  ~WatchStream();  // Close()
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Queues the created answer, then starts the watcher. Errors carry etcd's text.
  [[nodiscard]] absl::StatusOr<WatchId> Watch(const WatchOptions& o);
  // NotFound "mvcc: watcher does not exist" for an unknown id.
  [[nodiscard]] absl::Status Cancel(WatchId id);
  // Cancels every watcher; later Watch calls fail.
  void Close();
  // A progress request for the whole stream (WatchableStore::RequestProgress says when it is
  // answered).
  void RequestProgress();

  // Producer side (the store, under its mutex; the service for control answers).
  bool TrySend(Response r);
  void SendControl(Response r);

  // Consumer side.
  std::optional<Response> Next();
  size_t ControlBacklog() const;

 private:
  void Push(Response r);

  // Constant after construction.
  WatchableStore* const store_;
  const std::function<void()> wake_;

  // Lock order: mu_ before the store's mutex before queue_mu_.
  Mutex mu_ ABSL_ACQUIRED_BEFORE(queue_mu_);
  absl::flat_hash_map<WatchId, std::unique_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
  WatchId next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  mutable Mutex queue_mu_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(queue_mu_);
  size_t queued_events_ ABSL_GUARDED_BY(queue_mu_) = 0;
  size_t queued_control_ ABSL_GUARDED_BY(queue_mu_) = 0;
  bool idle_ ABSL_GUARDED_BY(queue_mu_) = true;
};

}  // namespace etcdpp::watch
