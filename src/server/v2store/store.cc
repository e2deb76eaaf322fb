#include "server/v2store/store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace etcdpp::server::v2store {
namespace {

// Expiry times before this mean "permanent" (etcd's minExpireTime).
const absl::Time kMinExpireTime = absl::FromUnixSeconds(946684800);  // 2000-01-01T00:00:00Z

// The cause of a failed comparison, as etcd words it.
std::string CompareFailCause(const Node& n, std::string_view prev_value, uint64_t prev_index) {
  bool index_ok = prev_index == 0 || n.modified_index == prev_index;
  bool value_ok = prev_value.empty() || n.value == prev_value;
  std::string value_cause = "[" + std::string(prev_value) + " != " + n.value + "]";
  std::string index_cause = absl::StrCat("[", prev_index, " != ", n.modified_index, "]");
  if (!index_ok && !value_ok) return absl::StrCat(value_cause, " ", index_cause);
  return index_ok ? value_cause : index_cause;
}

bool CompareOk(const Node& n, std::string_view prev_value, uint64_t prev_index) {
  return (prev_index == 0 || n.modified_index == prev_index) &&
         (prev_value.empty() || n.value == prev_value);
}

Event NewEvent(std::string_view action, std::string key, uint64_t modified, uint64_t created) {
  return Event{.action = std::string(action),
               .node = NodeExtern{
                   .key = std::move(key), .modified_index = modified, .created_index = created}};
}

}  // namespace

Store::Store(const std::vector<std::string>& namespaces) {
  root_ = std::make_unique<Node>(Node{.path = "/", .dir = true});
  read_only_.push_back("/");
  for (const std::string& ns : namespaces) {
    std::string clean = CleanPath(ns);
    root_->children[std::string(BaseName(clean))] =
        std::make_unique<Node>(Node{.path = clean, .dir = true, .parent = root_.get()});
    read_only_.push_back(clean);
  }
}

Error Store::ErrorAt(int code, std::string cause) const {
  return Error{.code = code, .cause = std::move(cause), .index = current_index_};
}

bool Store::ReadOnly(const std::string& clean_path) const {
  return std::find(read_only_.begin(), read_only_.end(), clean_path) != read_only_.end();
}

Result<Node*> Store::Lookup(const std::string& clean_path) {
  Node* cur = root_.get();
  for (absl::string_view name : absl::StrSplit(clean_path, '/', absl::SkipEmpty())) {
    if (!cur->dir) return ErrorAt(kEcodeNotDir, cur->path);
    auto it = cur->children.find(std::string(name));
    if (it == cur->children.end()) {
      return ErrorAt(kEcodeKeyNotFound, CleanPath(absl::StrCat(cur->path, "/", name)));
    }
    cur = it->second.get();
  }
  return cur;
}

Result<Node*> Store::MakeParents(const std::string& dir_path) {
  Node* cur = root_.get();
  for (absl::string_view name : absl::StrSplit(dir_path, '/', absl::SkipEmpty())) {
    auto [it, added] = cur->children.try_emplace(std::string(name));
    if (added) {
      it->second =
          std::make_unique<Node>(Node{.path = CleanPath(absl::StrCat(cur->path, "/", name)),
                                      .created_index = current_index_ + 1,
                                      .modified_index = current_index_ + 1,
                                      .dir = true,
                                      .parent = cur});
    } else if (!it->second->dir) {
      return ErrorAt(kEcodeNotDir, it->second->path);
    }
    cur = it->second.get();
  }
  return cur;
}

void Store::SetExpiry(Node* n, std::optional<absl::Time> expire) {
  if (n->expire_time) ttl_keys_.erase({*n->expire_time, n->path});
  n->expire_time = expire;
  if (expire) ttl_keys_.insert({*expire, n->path});
}

void Store::RemoveNode(Node* n, const Event& e) {
  // Children first (in name order: etcd's order is Go's random map order), then the node.
  while (n->dir && !n->children.empty()) RemoveNode(n->children.begin()->second.get(), e);
  // etcd tells the watchers of every removed path; a stream watcher of the removed key itself
  // is told again by Notify (etcd 3.4 sends it the event twice).
  hub_.NotifyWatchers(e, n->path, true);
  if (n->expire_time) ttl_keys_.erase({*n->expire_time, n->path});
  if (n->parent != nullptr) n->parent->children.erase(std::string(BaseName(n->path)));
}

void Store::Publish(Event& e, bool refresh) {
  if (refresh) {
    e.refresh = true;
    hub_.Add(e);
  } else {
    hub_.Notify(e);
  }
}

Result<Event> Store::CreateNode(std::string_view path, bool dir, std::string_view value,
                                bool unique, bool replace, const TtlOptions& ttl,
                                std::string_view action, absl::Time now) {
  uint64_t next = current_index_ + 1;
  std::string clean =
      unique ? CleanPath(absl::StrFormat("%s/%020d", std::string(path), next)) : CleanPath(path);
  if (ReadOnly(clean)) return ErrorAt(kEcodeRootROnly, "/");
  std::optional<absl::Time> expire = ttl.expire_time;
  if (expire && *expire < kMinExpireTime) expire.reset();

  size_t slash = clean.rfind('/');
  Result<Node*> parent = MakeParents(clean.substr(0, slash + 1));
  if (!parent.ok()) {
    ++stats_.sets_fail;  // etcd counts a failed walk as a failed set, whatever the operation
    return parent.error();
  }
  std::string name = clean.substr(slash + 1);
  Event e = NewEvent(action, clean, next, next);
  auto it = parent.value()->children.find(name);
  if (it != parent.value()->children.end()) {
    if (!replace) return ErrorAt(kEcodeNodeExist, clean);
    if (it->second->dir) return ErrorAt(kEcodeNotFile, clean);
    e.prev_node = it->second->Repr(false, now);
    SetExpiry(it->second.get(), std::nullopt);
    parent.value()->children.erase(it);
  }
  auto node = std::make_unique<Node>(Node{.path = clean,
                                          .created_index = next,
                                          .modified_index = next,
                                          .dir = dir,
                                          .parent = parent.value()});
  if (dir) {
    e.node->dir = true;
  } else {
    node->value = std::string(value);
    e.node->value = node->value;
  }
  SetExpiry(node.get(), expire);
  node->LoadExpiry(&*e.node, now);
  parent.value()->children[name] = std::move(node);
  current_index_ = next;
  return e;
}

Result<Node*> Store::CompareTarget(const std::string& clean_path, std::string_view prev_value,
                                   uint64_t prev_index) {
  Result<Node*> n = Lookup(clean_path);
  if (!n.ok()) return n;
  if (n.value()->dir) return ErrorAt(kEcodeNotFile, clean_path);
  if (!CompareOk(*n.value(), prev_value, prev_index)) {
    return ErrorAt(kEcodeTestFailed, CompareFailCause(*n.value(), prev_value, prev_index));
  }
  return n;
}

Result<Event> Store::Get(std::string_view path, bool recursive, bool sorted, absl::Time now) {
  Result<Node*> n = Lookup(CleanPath(path));
  if (!n.ok()) {
    ++stats_.gets_fail;
    return n.error();
  }
  Event e =
      NewEvent(kActionGet, std::string(path), n.value()->modified_index, n.value()->created_index);
  e.etcd_index = current_index_;
  n.value()->LoadInto(&*e.node, recursive, now);
  ++stats_.gets_success;
  return e;
}

Result<Event> Store::Set(std::string_view path, bool dir, std::string_view value,
                         const TtlOptions& ttl, absl::Time now) {
  Result<Node*> existing = Lookup(CleanPath(path));
  if (!existing.ok() && (existing.error().code != kEcodeKeyNotFound || ttl.refresh)) {
    ++stats_.sets_fail;
    return existing.error();
  }
  std::optional<NodeExtern> prev;
  if (existing.ok() && !existing.value()->dir) {
    const Node& n = *existing.value();
    prev = NodeExtern{.key = std::string(path),
                      .modified_index = n.modified_index,
                      .created_index = n.created_index};
    n.LoadInto(&*prev, false, now);
  }
  std::string kept = ttl.refresh ? existing.value()->value : std::string(value);
  Result<Event> e = CreateNode(path, dir, kept, false, true, ttl, kActionSet, now);
  if (!e.ok()) {
    ++stats_.sets_fail;
    return e;
  }
  e->etcd_index = current_index_;
  e->prev_node = std::move(prev);
  Publish(e.value(), ttl.refresh);
  ++stats_.sets_success;
  return e;
}

Result<Event> Store::Create(std::string_view path, bool dir, std::string_view value, bool unique,
                            const TtlOptions& ttl, absl::Time now) {
  Result<Event> e = CreateNode(path, dir, value, unique, false, ttl, kActionCreate, now);
  if (!e.ok()) {
    ++stats_.create_fail;
    return e;
  }
  e->etcd_index = current_index_;
  hub_.Notify(e.value());
  ++stats_.create_success;
  return e;
}

// etcd counts some refusals of Update, CompareAndSwap, Delete and CompareAndDelete as successes
// (they return before its deferred counter sees an error); the counters here do the same.
Result<Event> Store::Update(std::string_view path, std::string_view value, const TtlOptions& ttl,
                            absl::Time now) {
  std::string clean = CleanPath(path);
  if (ReadOnly(clean)) {
    ++stats_.update_success;
    return ErrorAt(kEcodeRootROnly, "/");
  }
  Result<Node*> found = Lookup(clean);
  if (!found.ok()) {
    ++stats_.update_fail;
    return found.error();
  }
  Node* n = found.value();
  if (n->dir && !value.empty()) {
    ++stats_.update_success;
    return ErrorAt(kEcodeNotFile, clean);
  }
  uint64_t next = current_index_ + 1;
  Event e = NewEvent(kActionUpdate, clean, next, n->created_index);
  e.etcd_index = next;
  e.prev_node = n->Repr(false, now);
  if (n->dir) {
    e.node->dir = true;
  } else {
    n->value = ttl.refresh ? n->value : std::string(value);
    n->modified_index = next;
    e.node->value = n->value;
  }
  SetExpiry(n, ttl.expire_time);
  n->LoadExpiry(&*e.node, now);
  Publish(e, ttl.refresh);
  current_index_ = next;
  ++stats_.update_success;
  return e;
}

Result<Event> Store::CompareAndSwap(std::string_view path, std::string_view prev_value,
                                    uint64_t prev_index, std::string_view value,
                                    const TtlOptions& ttl, absl::Time now) {
  std::string clean = CleanPath(path);
  if (ReadOnly(clean)) {
    ++stats_.compare_and_swap_success;
    return ErrorAt(kEcodeRootROnly, "/");
  }
  Result<Node*> found = CompareTarget(clean, prev_value, prev_index);
  if (!found.ok()) {
    ++stats_.compare_and_swap_fail;
    return found.error();
  }
  Node* n = found.value();
  Event e = NewEvent(kActionCompareAndSwap, clean, ++current_index_, n->created_index);
  e.etcd_index = current_index_;
  e.prev_node = n->Repr(false, now);
  n->value = ttl.refresh ? n->value : std::string(value);
  n->modified_index = current_index_;
  SetExpiry(n, ttl.expire_time);
  e.node->value = n->value;
  n->LoadExpiry(&*e.node, now);
  Publish(e, ttl.refresh);
  ++stats_.compare_and_swap_success;
  return e;
}

Result<Event> Store::Delete(std::string_view path, bool dir, bool recursive, absl::Time now) {
  std::string clean = CleanPath(path);
  if (ReadOnly(clean)) {
    ++stats_.delete_success;
    return ErrorAt(kEcodeRootROnly, "/");
  }
  dir = dir || recursive;
  Result<Node*> found = Lookup(clean);
  if (!found.ok()) {
    ++stats_.delete_fail;
    return found.error();
  }
  Node* n = found.value();
  if (n->dir && (!dir || (!n->children.empty() && !recursive))) {
    ++stats_.delete_fail;
    return ErrorAt(dir ? kEcodeDirNotEmpty : kEcodeNotFile, n->path);
  }
  Event e = NewEvent(kActionDelete, clean, current_index_ + 1, n->created_index);
  e.etcd_index = current_index_ + 1;
  e.prev_node = n->Repr(false, now);
  e.node->dir = n->dir;
  RemoveNode(n, e);
  ++current_index_;
  hub_.Notify(e);
  ++stats_.delete_success;
  return e;
}

Result<Event> Store::CompareAndDelete(std::string_view path, std::string_view prev_value,
                                      uint64_t prev_index, absl::Time now) {
  std::string clean = CleanPath(path);
  Result<Node*> found = CompareTarget(clean, prev_value, prev_index);
  if (!found.ok()) {
    int code = found.error().code;  // a failed lookup counts as a failure, a refusal does not
    bool lookup = code == kEcodeKeyNotFound || code == kEcodeNotDir;
    ++(lookup ? stats_.compare_and_delete_fail : stats_.compare_and_delete_success);
    return found.error();
  }
  Node* n = found.value();
  Event e = NewEvent(kActionCompareAndDelete, clean, ++current_index_, n->created_index);
  e.etcd_index = current_index_;
  e.prev_node = n->Repr(false, now);
  RemoveNode(n, e);
  hub_.Notify(e);
  ++stats_.compare_and_delete_success;
  return e;
}

void Store::DeleteExpiredKeys(absl::Time now) {
  while (!ttl_keys_.empty() && ttl_keys_.begin()->first <= now) {
    Result<Node*> found = Lookup(ttl_keys_.begin()->second);
    Node* n = found.value();  // Invariant of ttl_keys_: the node exists.
    Event e = NewEvent(kActionExpire, n->path, ++current_index_, n->created_index);
    e.etcd_index = current_index_;
    e.prev_node = n->Repr(false, now);
    e.node->dir = n->dir;
    RemoveNode(n, e);
    ++stats_.expire_count;
    hub_.Notify(e);
  }
}

Result<std::unique_ptr<Watcher>> Store::Watch(std::string_view key, bool recursive, bool stream,
                                              uint64_t since_index) {
  if (since_index == 0) since_index = current_index_ + 1;
  return hub_.Watch(CleanPath(key), recursive, stream, since_index, current_index_);
}

}  // namespace etcdpp::server::v2store
