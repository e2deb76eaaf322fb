#pragma once
// The v3lock service (etcd's etcdserver/api/v3lock over clientv3/concurrency's Mutex), run
// inside the member. Lock: take a session lease (60 s when the request names none), put the
// waiter's key "name/<lease hex>" unless it exists, and wait until every key of the lock
// created before it is gone; the answer's key is the lock's, its create revision the fencing
// token. A Lock that fails or is cancelled while waiting deletes its key (etcd's Unlock).
// Unlock deletes the key it is given. docs/design/election_lock.md.

#include "server/api/v3election/local_client.h"
#include "server/api/v3rpc/views.h"
#include "server/api/v3rpc/watch_service.h"
#include "v3lockpb/v3lock.grpc.pb.h"

namespace etcdpp::server {

class LockService final : public v3lockpb::Lock::CallbackService {
 public:
  // The views are not owned and outlive the service.
  explicit LockService(Views v) : client_(v, &dispatcher_) {}

  grpc::ServerUnaryReactor* Lock(grpc::CallbackServerContext* ctx, const v3lockpb::LockRequest* req,
                                 v3lockpb::LockResponse* resp) override;
  grpc::ServerUnaryReactor* Unlock(grpc::CallbackServerContext* ctx,
                                   const v3lockpb::UnlockRequest* req,
                                   v3lockpb::UnlockResponse* resp) override;

 private:
  WatchDispatcher dispatcher_;  // runs the watch answers of every call (one thread)
  LocalClient client_;
};

}  // namespace etcdpp::server
