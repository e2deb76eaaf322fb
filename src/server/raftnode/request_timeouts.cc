#include "server/raftnode/request_timeouts.h"

#include <vector>

namespace etcdpp::server {

RequestTimeouts::RequestTimeouts(std::chrono::milliseconds timeout, Expire expire)
    : timeout_(timeout), expire_(std::move(expire)) {}

RequestTimeouts::~RequestTimeouts() { Stop(); }

void RequestTimeouts::Start() {
  loop_.Start("etcdpp-reqtimer", [this] { Loop(); });
}

void RequestTimeouts::Stop() { loop_.Stop(); }

void RequestTimeouts::Track(uint64_t id) {
  bool was_empty;
  {
    MutexLock l(loop_.mu());
    was_empty = queue_.empty();
    queue_.push_back({Clock::now(), id});
  }
  // Later entries expire later: the timer thread only needs waking when it had nothing.
  if (was_empty) loop_.Signal();
}

void RequestTimeouts::Loop() {
  std::vector<Entry> due;
  for (;;) {
    {
      MutexLock l(loop_.mu());
      for (;;) {
        if (loop_.stopping()) return;
        if (queue_.empty()) {
          loop_.Wait();
          continue;
        }
        if (!loop_.WaitUntil(queue_.front().start + timeout_)) break;  // the first one is due
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
