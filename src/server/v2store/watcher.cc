#include "server/v2store/watcher.h"

#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "server/v2store/node.h"

namespace etcdpp::server::v2store {
namespace {

// Whether `key` lies under a hidden name below `watch_path` (those events are not sent to
// watchers of directories above the hidden name).
bool HiddenBelow(std::string_view watch_path, std::string_view key) {
  if (watch_path.size() > key.size()) return false;
  std::string after = CleanPath(key.substr(watch_path.size()));
  return after.find("/_") != std::string::npos;
}

}  // namespace

Watcher::~Watcher() { Remove(); }

std::optional<Event> Watcher::Next() {
  if (queue_.empty()) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

void Watcher::Remove() {
  if (hub_ != nullptr) hub_->Unregister(this);
}

bool Watcher::Notify(const Event& e, bool original_path, bool deleted) {
  if (!(recursive_ || original_path || deleted) || e.index() < since_index_) return false;
  if (queue_.size() < kWatcherQueueCapacity) {
    queue_.push_back(e);
  } else {
    Remove();  // cannot keep up: dropped, as etcd drops a watcher whose channel is full
  }
  return true;
}

WatcherHub::~WatcherHub() {
  for (auto& [key, list] : watchers_) {
    for (Watcher* w : list) w->hub_ = nullptr;
  }
}

Result<std::unique_ptr<Watcher>> WatcherHub::Watch(const std::string& key, bool recursive,
                                                   bool stream, uint64_t since_index,
                                                   uint64_t store_index) {
  Result<std::optional<Event>> found = history_.Scan(key, recursive, since_index);
  if (!found.ok()) {
    Error err = found.error();
    err.index = store_index;
    return err;
  }
  std::unique_ptr<Watcher> w(new Watcher(this, recursive, stream, since_index, store_index));
  if (found.value()) {
    Event e = std::move(*found.value());
    e.refresh = false;
    e.etcd_index = store_index;
    w->queue_.push_back(std::move(e));
    w->hub_ = nullptr;  // answered from the history: never registered
    return w;
  }
  std::list<Watcher*>& list = watchers_[key];
  w->key_ = key;
  w->position_ = list.insert(list.end(), w.get());
  ++count_;
  return w;
}

void WatcherHub::Unregister(Watcher* w) {
  auto it = watchers_.find(w->key_);
  it->second.erase(w->position_);
  if (it->second.empty()) watchers_.erase(it);
  w->hub_ = nullptr;
  --count_;
}

void WatcherHub::Notify(const Event& e) {
  history_.Add(e);
  std::string path = "/";
  for (absl::string_view segment : absl::StrSplit(e.node->key, '/')) {
    path = CleanPath(path + "/" + std::string(segment));
    NotifyWatchers(e, path, false);
  }
}

void WatcherHub::NotifyWatchers(const Event& e, const std::string& path, bool deleted) {
  auto it = watchers_.find(path);
  if (it == watchers_.end()) return;
  bool original_path = e.node->key == path;
  if (!original_path && HiddenBelow(path, e.node->key)) return;
  // Notify may unregister watchers, emptying and erasing the list: walk a copy.
  std::vector<Watcher*> list(it->second.begin(), it->second.end());
  for (Watcher* w : list) {
    if (w->Notify(e, original_path, deleted) && !w->stream_ && w->hub_ != nullptr) {
      Unregister(w);
    }
  }
}

}  // namespace etcdpp::server::v2store
