#include "server/api/v3rpc/watch_service.h"

#include <algorithm>
#include <utility>

#include "server/api/v3rpc/views.h"
#include "server/api/v3rpc/watch_reactor.h"

namespace etcdpp::server {

WatchDispatcher::WatchDispatcher() : thread_([this] { Loop(); }) {}

WatchDispatcher::~WatchDispatcher() {
  {
    MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void WatchDispatcher::Post(std::function<void()> fn) {
  {
    MutexLock l(&mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.Signal();
}

void WatchDispatcher::Loop() {
  for (;;) {
    std::function<void()> fn;
    {
      MutexLock l(&mu_);
      while (queue_.empty() && !stop_) cv_.Wait(&mu_);
      if (queue_.empty()) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

WatchService::WatchService(Views v, watch::WatchableStore* store) : v_(v), store_(store) {
  const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) dispatchers_.push_back(std::make_unique<WatchDispatcher>());
}

WatchDispatcher* WatchService::NextDispatcher() {
  return dispatchers_[next_.fetch_add(1, std::memory_order_relaxed) % dispatchers_.size()].get();
}

grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>*
WatchService::Watch(grpc::CallbackServerContext* ctx) {
  WatchReactor* r = WatchReactor::Start(v_, store_, NextDispatcher());
  GuardStreamWithLeader(ctx, v_.member, r->finisher());
  return r;
}

}  // namespace etcdpp::server
