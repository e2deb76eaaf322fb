#include "server/v2store/snapshot_codec.h"

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "server/v2store/store.h"

namespace etcdpp::server::v2store {
namespace {

constexpr std::string_view kMagic = "ETCDPPV2";
constexpr int kMaxDepth = 1000;  // deeper trees are refused, not recursed into

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void Bytes(std::string_view s) { out_.append(s); }
  std::string& out() { return out_; }

 private:
  void Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  absl::Status U8(uint8_t* v) {
    uint64_t x = 0;
    RETURN_NOT_OK(Fixed(1, &x));
    *v = static_cast<uint8_t>(x);
    return absl::OkStatus();
  }
  absl::Status U32(uint32_t* v) {
    uint64_t x = 0;
    RETURN_NOT_OK(Fixed(4, &x));
    *v = static_cast<uint32_t>(x);
    return absl::OkStatus();
  }
  absl::Status U64(uint64_t* v) { return Fixed(8, v); }
  absl::Status I64(int64_t* v) {
    uint64_t x = 0;
    RETURN_NOT_OK(Fixed(8, &x));
    *v = static_cast<int64_t>(x);
    return absl::OkStatus();
  }
  absl::Status Str(std::string* s) {
    uint32_t n = 0;
    RETURN_NOT_OK(U32(&n));
    if (n > in_.size()) return Truncated();
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return absl::OkStatus();
  }
  // A count of items each at least `min_size` bytes long (so a bad count cannot allocate much).
  absl::Status Count(size_t min_size, uint32_t* n) {
    RETURN_NOT_OK(U32(n));
    if (static_cast<uint64_t>(*n) * min_size > in_.size()) return Truncated();
    return absl::OkStatus();
  }
  bool empty() const { return in_.empty(); }

 private:
  static absl::Status Truncated() { return absl::DataLossError("v2store snapshot: truncated"); }
  absl::Status Fixed(int n, uint64_t* v) {
    if (in_.size() < static_cast<size_t>(n)) return Truncated();
    *v = 0;
    for (int i = 0; i < n; ++i)
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(n);
    return absl::OkStatus();
  }
  std::string_view in_;
};

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError("v2store snapshot: " + std::string(what));
}

void PutStats(const Stats& s, Writer* w) {
  for (uint64_t v : {s.gets_success, s.gets_fail, s.sets_success, s.sets_fail, s.delete_success,
                     s.delete_fail, s.update_success, s.update_fail, s.create_success,
                     s.create_fail, s.compare_and_swap_success, s.compare_and_swap_fail,
                     s.compare_and_delete_success, s.compare_and_delete_fail, s.expire_count}) {
    w->U64(v);
  }
}

absl::Status GetStats(Reader* r, Stats* s) {
  for (uint64_t* v :
       {&s->gets_success, &s->gets_fail, &s->sets_success, &s->sets_fail, &s->delete_success,
        &s->delete_fail, &s->update_success, &s->update_fail, &s->create_success, &s->create_fail,
        &s->compare_and_swap_success, &s->compare_and_swap_fail, &s->compare_and_delete_success,
        &s->compare_and_delete_fail, &s->expire_count}) {
    RETURN_NOT_OK(r->U64(v));
  }
  return absl::OkStatus();
}

void PutNode(const Node& n, Writer* w) {
  w->U8((n.dir ? 1 : 0) | (n.expire_time ? 2 : 0));
  w->Str(n.path);
  w->U64(n.created_index);
  w->U64(n.modified_index);
  if (n.expire_time) w->I64(absl::ToUnixNanos(*n.expire_time));
  if (!n.dir) {
    w->Str(n.value);
    return;
  }
  w->U32(static_cast<uint32_t>(n.children.size()));
  for (const auto& [name, child] : n.children) PutNode(*child, w);
}

// The smallest encoded node: flags, an empty path, two indexes, an empty value.
constexpr size_t kMinNodeSize = 1 + 4 + 8 + 8 + 4;

absl::Status GetNode(Reader* r, Node* parent, int depth, Node* n) {
  if (depth > kMaxDepth) return Corrupt("tree too deep");
  uint8_t flags = 0;
  RETURN_NOT_OK(r->U8(&flags));
  if (flags > 3) return Corrupt("bad node flags");
  n->dir = flags & 1;
  n->parent = parent;
  RETURN_NOT_OK(r->Str(&n->path));
  RETURN_NOT_OK(r->U64(&n->created_index));
  RETURN_NOT_OK(r->U64(&n->modified_index));
  if (flags & 2) {
    int64_t ns = 0;
    RETURN_NOT_OK(r->I64(&ns));
    n->expire_time = absl::FromUnixNanos(ns);
  }
  bool path_ok =
      parent == nullptr
          ? n->path == "/"
          : CleanPath(n->path) == n->path &&
                n->path == CleanPath(parent->path + "/" + std::string(BaseName(n->path)));
  if (!path_ok) return Corrupt(absl::StrCat("bad node path ", n->path));
  if (!n->dir) return r->Str(&n->value);
  uint32_t count = 0;
  RETURN_NOT_OK(r->Count(kMinNodeSize, &count));
  for (uint32_t i = 0; i < count; ++i) {
    auto child = std::make_unique<Node>();
    RETURN_NOT_OK(GetNode(r, n, depth + 1, child.get()));
    if (child->path == "/" || BaseName(child->path).empty() ||
        !n->children.emplace(std::string(BaseName(child->path)), std::move(child)).second) {
      return Corrupt("bad or repeated child");
    }
  }
  return absl::OkStatus();
}

void PutExtern(const NodeExtern& n, Writer* w) {
  w->Str(n.key);
  w->U8((n.value ? 1 : 0) | (n.dir ? 2 : 0) | (n.expiration ? 4 : 0));
  if (n.value) w->Str(*n.value);
  if (n.expiration) w->I64(absl::ToUnixNanos(*n.expiration));
  w->I64(n.ttl);
  w->U64(n.modified_index);
  w->U64(n.created_index);
  w->U32(static_cast<uint32_t>(n.nodes.size()));
  for (const NodeExtern& c : n.nodes) PutExtern(c, w);
}

constexpr size_t kMinExternSize = 4 + 1 + 8 + 8 + 8 + 4;

absl::Status GetExtern(Reader* r, int depth, NodeExtern* n) {
  if (depth > kMaxDepth) return Corrupt("event too deep");
  RETURN_NOT_OK(r->Str(&n->key));
  uint8_t flags = 0;
  RETURN_NOT_OK(r->U8(&flags));
  if (flags > 7) return Corrupt("bad event node flags");
  if (flags & 1) RETURN_NOT_OK(r->Str(&n->value.emplace()));
  n->dir = flags & 2;
  if (flags & 4) {
    int64_t ns = 0;
    RETURN_NOT_OK(r->I64(&ns));
    n->expiration = absl::FromUnixNanos(ns);
  }
  RETURN_NOT_OK(r->I64(&n->ttl));
  RETURN_NOT_OK(r->U64(&n->modified_index));
  RETURN_NOT_OK(r->U64(&n->created_index));
  uint32_t count = 0;
  RETURN_NOT_OK(r->Count(kMinExternSize, &count));
  n->nodes.resize(count);
  for (NodeExtern& c : n->nodes) RETURN_NOT_OK(GetExtern(r, depth + 1, &c));
  return absl::OkStatus();
}

void PutEvent(const Event& e, Writer* w) {
  w->Str(e.action);
  w->U64(e.etcd_index);
  w->U8((e.refresh ? 1 : 0) | (e.node ? 2 : 0) | (e.prev_node ? 4 : 0));
  if (e.node) PutExtern(*e.node, w);
  if (e.prev_node) PutExtern(*e.prev_node, w);
}

absl::Status GetEvent(Reader* r, Event* e) {
  RETURN_NOT_OK(r->Str(&e->action));
  RETURN_NOT_OK(r->U64(&e->etcd_index));
  uint8_t flags = 0;
  RETURN_NOT_OK(r->U8(&flags));
  if (flags > 7 || !(flags & 2)) return Corrupt("bad event flags");
  e->refresh = flags & 1;
  RETURN_NOT_OK(GetExtern(r, 0, &e->node.emplace()));
  if (flags & 4) RETURN_NOT_OK(GetExtern(r, 0, &e->prev_node.emplace()));
  return absl::OkStatus();
}

// Adds the expiry of `n` and of every node under it to `keys`.
void CollectTtlKeys(const Node& n, std::set<std::pair<absl::Time, std::string>>* keys) {
  if (n.expire_time) keys->insert({*n.expire_time, n.path});
  for (const auto& [name, child] : n.children) CollectTtlKeys(*child, keys);
}

}  // namespace

std::string SnapshotCodec::Encode(const Store& store) {
  Writer w;
  w.Bytes(kMagic);
  w.U32(kVersion);
  w.U64(store.current_index_);
  PutStats(store.stats_, &w);
  PutNode(*store.root_, &w);
  const std::deque<Event>& events = store.hub_.history().events();
  w.U32(static_cast<uint32_t>(events.size()));
  for (const Event& e : events) PutEvent(e, &w);
  uint32_t crc = crc32c::Value(w.out());
  w.U32(crc);
  return std::move(w.out());
}

absl::Status SnapshotCodec::Decode(std::string_view data, Store* store) {
  if (data.size() < kMagic.size() + 8 || !data.starts_with(kMagic)) {
    return Corrupt("not a v2 store snapshot");
  }
  std::string_view body = data.substr(0, data.size() - 4);
  Reader crc_reader(data.substr(data.size() - 4));
  uint32_t crc = 0;
  RETURN_NOT_OK(crc_reader.U32(&crc));
  if (crc32c::Value(body) != crc) return Corrupt("checksum mismatch");
  Reader r(body.substr(kMagic.size()));
  uint32_t version = 0;
  RETURN_NOT_OK(r.U32(&version));
  if (version != kVersion) return Corrupt(absl::StrCat("unknown version ", version));
  uint64_t index = 0;
  RETURN_NOT_OK(r.U64(&index));
  Stats stats;
  RETURN_NOT_OK(GetStats(&r, &stats));
  auto root = std::make_unique<Node>();
  RETURN_NOT_OK(GetNode(&r, nullptr, 0, root.get()));
  if (!root->dir) return Corrupt("root is not a directory");
  uint32_t count = 0;
  RETURN_NOT_OK(r.Count(4 + 8 + 1 + kMinExternSize, &count));
  if (count > store->hub_.history().capacity()) return Corrupt("history too long");
  std::deque<Event> events(count);
  for (size_t i = 0; i < events.size(); ++i) {
    RETURN_NOT_OK(GetEvent(&r, &events[i]));
    if (i > 0 && events[i].index() != events[i - 1].index() + 1) {
      return Corrupt("history indexes not consecutive");
    }
  }
  if (!r.empty()) return Corrupt("trailing bytes");

  std::set<std::pair<absl::Time, std::string>> ttl_keys;
  CollectTtlKeys(*root, &ttl_keys);
  store->root_ = std::move(root);
  store->current_index_ = index;
  store->stats_ = stats;
  store->ttl_keys_ = std::move(ttl_keys);
  store->hub_.history().Restore(std::move(events));
  return absl::OkStatus();
}

std::string Store::Save() const { return SnapshotCodec::Encode(*this); }

absl::Status Store::Recover(std::string_view snapshot) {
  return SnapshotCodec::Decode(snapshot, this);
}

}  // namespace etcdpp::server::v2store
