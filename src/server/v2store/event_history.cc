#include "server/v2store/event_history.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/v2store/node.h"

namespace etcdpp::server::v2store {
namespace {

bool Matches(const Event& e, std::string_view key, bool recursive) {
  const std::string& at = e.node->key;
  if (at == key) return true;
  if (recursive) {
    std::string dir = CleanPath(key);
    if (!dir.ends_with('/')) dir += '/';
    if (std::string_view(at).starts_with(dir)) return true;
  }
  bool removal = e.action == kActionDelete || e.action == kActionExpire;
  return removal && e.prev_node && e.prev_node->dir && key.starts_with(e.prev_node->key);
}

}  // namespace

void EventHistory::Add(const Event& e) {
  if (events_.size() == capacity_) events_.pop_front();
  events_.push_back(e);
  last_index_ = e.index();
  start_index_ = events_.front().index();
}

Result<std::optional<Event>> EventHistory::Scan(std::string_view key, bool recursive,
                                                uint64_t index) const {
  if (index < start_index_) {
    return Error{.code = kEcodeEventIndexCleared,
                 .cause = absl::StrCat("the requested history has been cleared [", start_index_,
                                       "/", index, "]")};
  }
  if (index > last_index_) return std::optional<Event>();
  for (size_t i = index - start_index_; i < events_.size(); ++i) {
    const Event& e = events_[i];
    if (!e.refresh && Matches(e, key, recursive)) return std::optional<Event>(e);
  }
  return std::optional<Event>();
}

void EventHistory::Restore(std::deque<Event> events) {
  events_ = std::move(events);
  while (events_.size() > capacity_) events_.pop_front();
  start_index_ = events_.empty() ? 0 : events_.front().index();
  last_index_ = events_.empty() ? 0 : events_.back().index();
}

}  // namespace etcdpp::server::v2store
