#pragma once
// The Watch service (etcd's v3rpc/watch.go) on gRPC's callback API: one bidirectional reactor
// per stream, many watches per stream. Requests are handled as they are read; answers come
// from the stream's queue (see watch/watch_stream.h) and are written one at a time. When an
// idle stream gets an answer, the store's thread only queues a wake-up: a dispatcher thread
// starts the write, and OnWriteDone continues on gRPC's threads, so neither the applier nor the
// sync thread ever builds or writes a message.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "common/loop_thread.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/views.h"
#include "watch/watchable_store.h"

namespace etcdpp::server {

// Runs queued functions on one thread, in order.
class WatchDispatcher {
 public:
  WatchDispatcher();
  ~WatchDispatcher();  // runs what is queued, then joins
  void Post(std::function<void()> fn);

 private:
  void Loop();
  LoopThread loop_;  // runs Loop()
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(loop_.mu());
};

class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  // Neither is owned; both outlive the service.
  WatchService(Views v, watch::WatchableStore* store);

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* ctx) override;

 private:
  // One dispatcher per core: the wake-ups of one put with many watching streams (each write
  // built and started by its dispatcher) spread over the cores. A stream keeps its dispatcher.
  WatchDispatcher* NextDispatcher();

  const Views v_;
  watch::WatchableStore* const store_;
  std::vector<std::unique_ptr<WatchDispatcher>> dispatchers_;
  std::atomic<size_t> next_{0};
};

}  // namespace etcdpp::server
