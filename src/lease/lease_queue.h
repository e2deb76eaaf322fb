#pragma once
// A min-heap of (time, lease ID): the lessor's expiry queue and its checkpoint schedule (etcd's
// LeaseQueue). Entries are never updated in place: a renewal pushes a new entry, and the
// lessor drops an entry on pop when it no longer matches its lease (revoked, or re-registered
// with another time). Stale entries leave the heap when their (earlier) time comes, so the
// heap holds at most one entry per registration within a TTL.

#include <cstdint>
#include <queue>
#include <vector>

namespace etcdpp::lease {

struct LeaseTime {
  int64_t time_us = 0;  // on the lessor's clock
  int64_t id = 0;
  bool operator>(const LeaseTime& o) const {
    return time_us != o.time_us ? time_us > o.time_us : id > o.id;
  }
};

class LeaseQueue {
 public:
  void Push(LeaseTime t) { heap_.push(t); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const LeaseTime& Top() const { return heap_.top(); }
  void Pop() { heap_.pop(); }
  void Clear() { heap_ = {}; }

 private:
  std::priority_queue<LeaseTime, std::vector<LeaseTime>, std::greater<LeaseTime>> heap_;
};

}  // namespace etcdpp::lease
