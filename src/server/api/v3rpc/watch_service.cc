#include "server/api/v3rpc/watch_service.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "server/api/v3rpc/views.h"
#include "server/api/v3rpc/watch_reactor.h"

namespace etcdpp::server {

WatchDispatcher::WatchDispatcher() {
  loop_.Start("etcdpp-wdisp", [this] { Loop(); });
}

WatchDispatcher::~WatchDispatcher() { loop_.Stop(); }

void WatchDispatcher::Post(std::function<void()> fn) {
  {
    MutexLock l(loop_.mu());
    queue_.push_back(std::move(fn));
  }
  loop_.Signal();
}

void WatchDispatcher::Loop() {
  for (;;) {
    std::function<void()> fn;
    {
      MutexLock l(loop_.mu());
      while (queue_.empty() && !loop_.stopping()) loop_.Wait();
      if (queue_.empty()) return;  // stopping, and nothing left to run
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
  WatchReactor* r = WatchReactor::Start(v_, ctx, store_, NextDispatcher());
  GuardStreamWithLeader(ctx, v_.member, r->finisher());
  return r;
}

}  // namespace etcdpp::server
