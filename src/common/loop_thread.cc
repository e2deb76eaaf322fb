#include "common/loop_thread.h"

#include <pthread.h>

#include <utility>

namespace etcdpp {

LoopThread::~LoopThread() { Stop(); }

void LoopThread::Start(const std::string& name, std::function<void()> body) {
  MutexLock j(&join_mu_);
  {
    MutexLock l(&mu_);
    if (stopping_) return;
  }
  if (thread_.joinable()) return;
  thread_ = std::thread([name = name.substr(0, 15), body = std::move(body)] {
    pthread_setname_np(pthread_self(), name.c_str());
    body();
  });
}

bool LoopThread::Stop() {
  bool first;
  {
    MutexLock l(&mu_);
    first = !stopping_;
    stopping_ = true;
  }
  cv_.SignalAll();
  MutexLock j(&join_mu_);
  if (thread_.joinable()) thread_.join();
  return first;
}

bool LoopThread::WaitUntil(Clock::time_point deadline) {
  const Clock::time_point now = Clock::now();
  if (now >= deadline) return false;
  cv_.WaitFor(&mu_, deadline - now);
  return true;
}

bool LoopThread::SleepUntil(Clock::time_point deadline) {
  while (!stopping_ && WaitUntil(deadline)) {
  }
  return !stopping_;
}

}  // namespace etcdpp
