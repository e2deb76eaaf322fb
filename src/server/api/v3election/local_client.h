#pragma once
// LocalClient: what the election and lock services do with the member, as etcd's services do
// through its in-process client (v3client): txns, deletes and lease grants through Raft,
// linearizable reads, and watches of the member's own store. Requests are checked as the KV
// service checks a client's (an empty key gets etcd's error), and every call is asynchronous:
// `done` runs on the applier, read-index or dispatcher thread, never blocking a gRPC thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/v3rpc/views.h"
#include "watch/key_range.h"
#include "watch/watch_stream.h"

namespace etcdpp::server {

class WatchDispatcher;

// One watch of the member's store, its answers handed to `handler` one at a time on the
// dispatcher's thread. The handler returns false to pause (the watch keeps what comes meanwhile,
// bounded as any watch stream's); Resume continues. Stop ends it: no handler call starts after.
class KeyWatch : public std::enable_shared_from_this<KeyWatch> {
 public:
  using Handler = std::function<bool(const watch::Response&)>;
  // Watches `range` from `start_rev`; the store and dispatcher outlive the watch.
  static absl::StatusOr<std::shared_ptr<KeyWatch>> Start(watch::WatchableStore* store,
                                                         WatchDispatcher* d, watch::KeyRange range,
                                                         int64_t start_rev, Handler handler);
  ~KeyWatch();
  void Resume();
  void Stop();

 private:
  KeyWatch(WatchDispatcher* d, Handler h) : dispatcher_(d), handler_(std::move(h)) {}
  void Post();
  void Drain();  // on the dispatcher thread

  WatchDispatcher* const dispatcher_;
  const Handler handler_;
  std::unique_ptr<watch::WatchStream> stream_;  // set once in Start
  Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
};

class LocalClient {
 public:
  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;

  // Neither is owned; both outlive the client and its watches.
  LocalClient(Views v, WatchDispatcher* d) : v_(v), dispatcher_(d) {}

  void Txn(etcdserverpb::TxnRequest r, Done<etcdserverpb::TxnResponse> done);
  void Get(etcdserverpb::RangeRequest r, Done<etcdserverpb::RangeResponse> done);  // linearizable
  void Delete(etcdserverpb::DeleteRangeRequest r, Done<etcdserverpb::DeleteRangeResponse> done);
  // Grants a lease of `ttl` seconds with a fresh id; `done` gets the id.
  void Grant(int64_t ttl, Done<int64_t> done);
  // The session lease of a request (etcd's services open a session on the request's lease, and
  // a session without one grants a lease of 60 s): `done` gets `lease`, or a new lease's id
  // when it is 0.
  void SessionLease(int64_t lease, Done<int64_t> done);
  absl::StatusOr<std::shared_ptr<KeyWatch>> Watch(watch::KeyRange range, int64_t start_rev,
                                                  KeyWatch::Handler handler);
  // The member's header fields over a revision (watch answers).
  etcdserverpb::ResponseHeader Header(int64_t revision) const;
  const Views& views() const { return v_; }

 private:
  template <typename Resp>
  void Propose(internalpb::InternalRequest ir, Done<Resp> done);

  const Views v_;
  WatchDispatcher* const dispatcher_;
};

}  // namespace etcdpp::server
