#pragma once
// WatchReactor: one Watch stream (etcd's serverWatchStream). Reads requests one at a time
// (create / cancel / progress), and writes the answers of its watch::WatchStream one at a time.
//
// Lifetime: the reactor owns itself through self_ from Start until OnDone; wake-ups from the
// store hold only a weak_ptr, so a wake-up after OnDone does nothing, but one that locked it
// before may still run TryWrite after OnDone (and then destroys the reactor).
// Threads: OnReadDone, OnWriteDone and the dispatcher's wake-ups may run concurrently; mu_
// guards the write state, and a write is started by whoever finds none in flight, under mu_,
// so that no write starts after DoFinish marked the stream finished (the call may be gone).

#include <deque>
#include <memory>

#include "common/mutex.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/require_leader.h"
#include "server/api/v3rpc/views.h"
#include "watch/watch_stream.h"
#include "watch/watchable_store.h"

namespace etcdpp::server {

class WatchDispatcher;

class WatchReactor
    : public grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>,
      public std::enable_shared_from_this<WatchReactor> {
 public:
  // Creates the reactor for a new stream and starts reading.
  static WatchReactor* Start(Views v, const grpc::CallbackServerContext* ctx,
                             watch::WatchableStore* store, WatchDispatcher* d);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;
  // Every Finish of this stream goes through it (hasleader streams: require_leader.h).
  const std::shared_ptr<StreamFinisher>& finisher() const { return finisher_; }

 private:
  WatchReactor(Views v, const grpc::CallbackServerContext* ctx, watch::WatchableStore* store,
               WatchDispatcher* d);
  void Handle(const etcdserverpb::WatchRequest& req);
  void HandleCreate(const etcdserverpb::WatchCreateRequest& c);
  void HandleCancel(const etcdserverpb::WatchCancelRequest& c);
  void HandleProgress();
  // Starts the next write unless one is in flight, the stream is finished, or nothing waits.
  void TryWrite();
  // The next message to write, or false if the queue is empty.
  bool NextLocked(etcdserverpb::WatchResponse* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeResumeReads();
  void FinishOnce(grpc::Status st);
  void DoFinish(grpc::Status st);  // the finisher's action

  // Constant after construction.
  const Views v_;
  const grpc::CallbackServerContext* const ctx_;  // the stream's: its token, its certificate
  watch::WatchableStore* const store_;
  WatchDispatcher* const dispatcher_;
  std::unique_ptr<watch::WatchStream> stream_;  // set in Start, reset in OnDone

  etcdserverpb::WatchRequest req_;  // the read in flight (one at a time)

  Mutex mu_;
  etcdserverpb::WatchResponse out_;  // the write in flight; touched only by its writer
  std::deque<etcdserverpb::WatchResponse> fragments_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_paused_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<WatchReactor> self_;  // released in OnDone
  std::shared_ptr<StreamFinisher> finisher_;
};

}  // namespace etcdpp::server
