#include "common/bounded_executor.h"

#include <pthread.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace etcdpp {

BoundedExecutor::BoundedExecutor(std::string name, size_t workers, size_t max_queued)
    : name_(std::move(name)), workers_(workers), max_queued_(max_queued) {}

BoundedExecutor::~BoundedExecutor() { Stop(); }

void BoundedExecutor::Start() {
  for (size_t i = 0; i < workers_; ++i) {
    threads_.emplace_back([this] { Work(); });
    pthread_setname_np(threads_.back().native_handle(), name_.substr(0, 15).c_str());
  }
}

absl::Status BoundedExecutor::Submit(std::function<void()> task) {
  {
    MutexLock l(&mu_);
    if (stopping_) return absl::FailedPreconditionError(absl::StrCat(name_, ": stopped"));
    if (queue_.size() >= max_queued_) {
      return absl::ResourceExhaustedError(absl::StrCat(name_, ": ", queue_.size(), " tasks wait"));
    }
    queue_.push_back(std::move(task));
  }
  cv_.Signal();
  return absl::OkStatus();
}

void BoundedExecutor::Work() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock l(&mu_);
      while (queue_.empty() && !stopping_) cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void BoundedExecutor::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  // Never started (or stopped before Start): nothing runs the queue, so run it here.
  std::deque<std::function<void()>> left;
  {
    MutexLock l(&mu_);
    left.swap(queue_);
  }
  for (auto& task : left) task();
}

size_t BoundedExecutor::QueuedForTest() {
  MutexLock l(&mu_);
  return queue_.size();
}

}  // namespace etcdpp
