#include "watch/watch_stream.h"

#include <string>
#include <utility>

#include "watch/watchable_store.h"

namespace etcdpp::watch {

[[nodiscard]] absl::Status ErrWatcherNotExist() {
  return absl::NotFoundError("mvcc: watcher does not exist");
}

WatchStream::WatchStream(WatchableStore* store, std::function<void()> wake)
    : store_(store), wake_(std::move(wake)) {
  store_->stream_counters().streams.fetch_add(1, std::memory_order_relaxed);
}

WatchStream::~WatchStream() {
  Close();
  WatchableStore::StreamCounters& c = store_->stream_counters();
  c.streams.fetch_sub(1, std::memory_order_relaxed);
  MutexLock l(&queue_mu_);
  for (const Response& r : queue_) {  // never sent
    c.pending_events.fetch_sub(static_cast<int64_t>(r.events.size()), std::memory_order_relaxed);
  }
}

absl::StatusOr<WatchId> WatchStream::Watch(const WatchOptions& o) {
  // etcd's watchStream.Watch: a range must not be empty (from-key ranges have no end).
  if (!o.range.IsSingleKey() && !o.range.from_key && o.range.key >= o.range.end) {
    return absl::InvalidArgumentError("mvcc: watcher range is empty");
  }
  MutexLock l(&mu_);
  if (closed_) return absl::InvalidArgumentError("mvcc: watcher range is empty");
  WatchId id = o.id;
  if (id == kAutoWatchId) {
    while (watchers_.contains(next_id_)) ++next_id_;
    id = next_id_++;
  } else if (watchers_.contains(id)) {
    return absl::AlreadyExistsError("mvcc: duplicate watch ID provided on the WatchStream");
  }
  auto w = std::make_unique<Watcher>();
  w->range = o.range;
  w->id = id;
  w->no_put = o.no_put;
  w->no_delete = o.no_delete;
  w->progress_notify = o.progress_notify;
  w->prev_kv = o.prev_kv;
  w->fragment = o.fragment;
  w->stream = this;
  Response created;
  created.control = true;
  created.created = true;
  created.watch_id = id;
  created.revision = o.header_rev;
  SendControl(std::move(created));
  store_->Add(w.get(), o.start_rev);
  watchers_[id] = std::move(w);
  return id;
}

absl::Status WatchStream::Cancel(WatchId id) {
  std::unique_ptr<Watcher> w;
  {
    MutexLock l(&mu_);
    auto it = watchers_.find(id);
    if (closed_ || it == watchers_.end()) return ErrWatcherNotExist();
    store_->Cancel(it->second.get());
    w = std::move(it->second);
    watchers_.erase(it);
  }
  return absl::OkStatus();
}

void WatchStream::Close() {
  MutexLock l(&mu_);
  closed_ = true;
  for (auto& [id, w] : watchers_) store_->Cancel(w.get());
  watchers_.clear();
}

void WatchStream::RequestProgress() { store_->RequestProgress(this); }

void WatchStream::Push(Response r) {
  bool wake = false;
  {
    MutexLock l(&queue_mu_);
    if (r.control) {
      ++queued_control_;
    } else {
      ++queued_events_;
    }
    store_->stream_counters().pending_events.fetch_add(static_cast<int64_t>(r.events.size()),
                                                       std::memory_order_relaxed);
    queue_.push_back(std::move(r));
    wake = idle_;
    idle_ = false;
  }
  if (wake && wake_) wake_();
}

bool WatchStream::TrySend(Response r) {
  {
    MutexLock l(&queue_mu_);
    if (queued_events_ >= kMaxBufferedEvents) return false;
  }
  Push(std::move(r));  // only the store sends events, one at a time: the room is still there
  return true;
}

void WatchStream::SendControl(Response r) {
  r.control = true;
  Push(std::move(r));
}

std::optional<Response> WatchStream::Next() {
  MutexLock l(&queue_mu_);
  if (queue_.empty()) {
    idle_ = true;
    return std::nullopt;
  }
  Response r = std::move(queue_.front());
  queue_.pop_front();
  if (r.control) {
    --queued_control_;
  } else {
    --queued_events_;
  }
  WatchableStore::StreamCounters& c = store_->stream_counters();
  c.pending_events.fetch_sub(static_cast<int64_t>(r.events.size()), std::memory_order_relaxed);
  c.events.fetch_add(static_cast<int64_t>(r.events.size()), std::memory_order_relaxed);
  return r;
}

size_t WatchStream::ControlBacklog() const {
  MutexLock l(&queue_mu_);
  return queued_control_;
}

}  // namespace etcdpp::watch
