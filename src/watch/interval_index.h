#pragma once
// IntervalIndex: the range watchers of a group, found by the key an event touches (etcd's
// adt.IntervalTree). A treap ordered by (begin, value) where every node also carries the
// largest end of its subtree, so that a stabbing query visits only subtrees that can hold an
// interval containing the point: O(log n + matches) expected, never a scan of every interval.
//
// Intervals are [begin, end) with `end` exclusive, or [begin, +inf) when unbounded.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "absl/functional/function_ref.h"

namespace etcdpp::watch {

template <typename V>
class IntervalIndex {
 public:
  IntervalIndex() = default;
  IntervalIndex(const IntervalIndex&) = delete;
  IntervalIndex& operator=(const IntervalIndex&) = delete;

  // (begin, value) must not be present already.
  void Insert(std::string begin, std::string end, bool unbounded, V value) {
    auto n = std::make_unique<Node>();
    n->begin = std::move(begin);
    n->end = End{std::move(end), unbounded};
    n->value = value;
    n->priority = rng_();
    n->max_end = n->end;
    auto [l, r] = Split(std::move(root_), n->begin, value);
    root_ = Merge(Merge(std::move(l), std::move(n)), std::move(r));
    ++size_;
  }

  // Removes (begin, value); false if absent.
  bool Erase(std::string_view begin, V value) {
    bool erased = false;
    root_ = EraseFrom(std::move(root_), begin, value, &erased);
    if (erased) --size_;
    return erased;
  }

  // Calls fn(value) for every interval that contains `point`.
  void Stab(std::string_view point, absl::FunctionRef<void(V)> fn) const {
    StabFrom(root_.get(), point, fn);
  }

  size_t size() const { return size_; }

 private:
  struct End {
    std::string key;
    bool unbounded = false;
    // True if a point p is below this end (p < end).
    bool Above(std::string_view p) const { return unbounded || p < std::string_view(key); }
    bool Less(const End& o) const {
      if (unbounded) return false;
      return o.unbounded || key < o.key;
    }
  };
  struct Node {
    std::string begin;
    End end;
    V value{};
    uint32_t priority = 0;
    End max_end;
    std::unique_ptr<Node> left, right;
  };
  using NodePtr = std::unique_ptr<Node>;

  static bool KeyLess(std::string_view b1, V v1, std::string_view b2, V v2) {
    return b1 != b2 ? b1 < b2 : std::less<V>()(v1, v2);
  }

  static void Update(Node* n) {
    n->max_end = n->end;
    for (Node* c : {n->left.get(), n->right.get()}) {
      if (c != nullptr && n->max_end.Less(c->max_end)) n->max_end = c->max_end;
    }
  }

  // Splits into (< (begin, v), >= (begin, v)).
  static std::pair<NodePtr, NodePtr> Split(NodePtr t, std::string_view begin, V v) {
    if (!t) return {nullptr, nullptr};
    if (KeyLess(t->begin, t->value, begin, v)) {
      auto [l, r] = Split(std::move(t->right), begin, v);
      t->right = std::move(l);
      Update(t.get());
      return {std::move(t), std::move(r)};
    }
    auto [l, r] = Split(std::move(t->left), begin, v);
    t->left = std::move(r);
    Update(t.get());
    return {std::move(l), std::move(t)};
  }

  static NodePtr Merge(NodePtr a, NodePtr b) {
    if (!a) return b;
    if (!b) return a;
    if (a->priority > b->priority) {
      a->right = Merge(std::move(a->right), std::move(b));
      Update(a.get());
      return a;
    }
    b->left = Merge(std::move(a), std::move(b->left));
    Update(b.get());
    return b;
  }

  static NodePtr EraseFrom(NodePtr t, std::string_view begin, V v, bool* erased) {
    if (!t) return nullptr;
    if (t->begin == begin && t->value == v) {
      *erased = true;
      return Merge(std::move(t->left), std::move(t->right));
    }
    if (KeyLess(begin, v, t->begin, t->value)) {
      t->left = EraseFrom(std::move(t->left), begin, v, erased);
    } else {
      t->right = EraseFrom(std::move(t->right), begin, v, erased);
    }
    Update(t.get());
    return t;
  }

  static void StabFrom(const Node* n, std::string_view p, absl::FunctionRef<void(V)> fn) {
    // No interval below n ends after p: nothing here contains it.
    if (n == nullptr || !n->max_end.Above(p)) return;
    StabFrom(n->left.get(), p, fn);
    if (std::string_view(n->begin) > p) return;  // n and its right subtree begin after p
    if (n->end.Above(p)) fn(n->value);
    StabFrom(n->right.get(), p, fn);
  }

  NodePtr root_;
  size_t size_ = 0;
  std::minstd_rand rng_{0x5eed};
};

}  // namespace etcdpp::watch
