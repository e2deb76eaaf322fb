#pragma once
// WaitDeletes: waits until no key of a prefix created at or below a revision is left (etcd's
// concurrency waitDeletes): read the last such key, watch it from the read's revision until it
// is deleted, and read again. No thread waits: the read answers on the read-index thread, the
// watch on the dispatcher's.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/v3election/local_client.h"

namespace etcdpp::server {

class WaitDeletes : public std::enable_shared_from_this<WaitDeletes> {
 public:
  // The header of the read that found no key left, or the error that ended the wait.
  using Done = std::function<void(absl::StatusOr<etcdserverpb::ResponseHeader>)>;

  // `client` outlives the wait. `done` runs once, unless Cancel came first.
  static std::shared_ptr<WaitDeletes> Start(LocalClient* client, std::string prefix,
                                            int64_t max_create_rev, Done done);
  // Ends the wait: `done` gets CancelledError if it has not run.
  void Cancel();

 private:
  WaitDeletes(LocalClient* c, std::string prefix, int64_t max_rev, Done done)
      : client_(c), prefix_(std::move(prefix)), max_rev_(max_rev), done_(std::move(done)) {}
  void Read();
  void OnRead(absl::StatusOr<etcdserverpb::RangeResponse> r);
  bool OnWatch(const watch::Response& r);  // the watch handler: false once the key is gone
  void Complete(absl::StatusOr<etcdserverpb::ResponseHeader> r);

  // Constant after construction.
  LocalClient* const client_;
  const std::string prefix_;
  const int64_t max_rev_;

  Mutex mu_;
  Done done_ ABSL_GUARDED_BY(mu_);  // empty once run or cancelled
  std::shared_ptr<KeyWatch> watch_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
