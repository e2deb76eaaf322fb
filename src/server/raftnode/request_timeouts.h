#pragma once
// RequestTimeouts: etcd's ReqTimeout for requests that go through Raft (KV writes, lease
// grants and revocations, member changes). Each proposal is tracked from the moment it is
// made; once the timeout passes, `expire` runs (on the timer thread) with its id and start
// time, and the owner fails the waiter if it is still waiting (a waiter already woken is not
// found, so expiring it is harmless). Every request has the same timeout, so the deadlines
// arrive in order and a FIFO queue is enough: one push per proposal, no heap.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>

#include "common/loop_thread.h"
#include "common/mutex.h"

namespace etcdpp::server {

class RequestTimeouts {
 public:
  using Clock = std::chrono::steady_clock;
  using Expire = std::function<void(uint64_t id, Clock::time_point start)>;

  RequestTimeouts(std::chrono::milliseconds timeout, Expire expire);
  ~RequestTimeouts();

  void Start();
  void Stop();  // joins; what is still tracked never expires

  // Starts the clock of request `id` now. Any thread.
  void Track(uint64_t id);

  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  struct Entry {
    Clock::time_point start;
    uint64_t id;
  };
  void Loop();  // the timer thread

  const std::chrono::milliseconds timeout_;
  const Expire expire_;

  LoopThread loop_;  // runs Loop(), the timer thread
  std::deque<Entry> queue_ ABSL_GUARDED_BY(loop_.mu());
};

}  // namespace etcdpp::server
