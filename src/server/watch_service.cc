#include "server/watch_service.h"

#include <utility>

#include "server/etcd_server.h"
#include "server/watch_reactor.h"

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
      while (queue_.empty() && !stop_) cv_.Wait();
      if (queue_.empty()) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>*
WatchService::Watch(grpc::CallbackServerContext* ctx) {
  WatchReactor* r = WatchReactor::Start(s_, store_, &dispatcher_);
  GuardStreamWithLeader(ctx, s_, r->finisher());
  return r;
}

}  // namespace etcdpp::server
