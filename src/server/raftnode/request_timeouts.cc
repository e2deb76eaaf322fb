#include "server/raftnode/request_timeouts.h"

#include <vector>

namespace etcdpp::server {

RequestTimeouts::RequestTimeouts(std::chrono::milliseconds timeout, Expire expire)
    : timeout_(timeout), expire_(std::move(expire)) {}

RequestTimeouts::~RequestTimeouts() { Stop(); }

void RequestTimeouts::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void RequestTimeouts::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void RequestTimeouts::Track(uint64_t id) {
  bool was_empty;
  {
    MutexLock l(&mu_);
    was_empty = queue_.empty();
    queue_.push_back({Clock::now(), id});
  }
  // Later entries expire later: the timer thread only needs waking when it had nothing.
  if (was_empty) cv_.Signal();
}

void RequestTimeouts::Loop() {
  std::vector<Entry> due;
  for (;;) {
    {
      MutexLock l(&mu_);
      for (;;) {
        if (stopping_) return;
        if (queue_.empty()) {
          cv_.Wait(&mu_);
          continue;
        }
        Clock::time_point deadline = queue_.front().start + timeout_;
        if (Clock::now() >= deadline) break;
        cv_.WaitFor(&mu_, deadline - Clock::now());
      }
      Clock::time_point now = Clock::now();
      while (!queue_.empty() && queue_.front().start + timeout_ <= now) {
        due.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    for (const Entry& e : due) expire_(e.id, e.start);
    due.clear();
  }
}

}  // namespace etcdpp::server
