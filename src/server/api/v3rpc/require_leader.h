#pragma once
// etcd's "hasleader" gRPC metadata (clientv3.WithRequireLeader): a client that sends it wants
// an error rather than a wait when the member has no leader. Unary calls check it on arrival
// (etcd's unary interceptor); streams register with RequireLeaderStreams, which closes them
// once the member has had no leader for three election timeouts (etcd's monitorLeader).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"

namespace etcdpp::server {

class MemberView;

// True if the call carries hasleader=true.
bool RequiresLeader(const grpc::CallbackServerContext* ctx);

// True unless the call's client-api-version metadata is not UTF-8.
bool ValidClientApiVersion(const grpc::CallbackServerContext* ctx);

// etcd's per-call checks (its unary interceptor): "etcdserver: invalid client api version" for
// a client-api-version that is not UTF-8; "etcdserver: no leader" if the call requires a
// leader and the member has none. GuardStreamWithLeader makes the same checks for a stream.
[[nodiscard]] absl::Status CheckRequireLeader(const grpc::CallbackServerContext* ctx,
                                              const MemberView& m);

class StreamFinisher;
// For a stream reactor just started: if the call requires a leader, finishes it at once when
// there is none, or has it finished once the leader is gone for long (RequireLeaderStreams).
void GuardStreamWithLeader(const grpc::CallbackServerContext* ctx, MemberView* m,
                           const std::shared_ptr<StreamFinisher>& finisher);

}  // namespace etcdpp::server

namespace etcdpp::server {

// For the first line of a unary handler: a reactor already finished with "etcdserver: no
// leader" when CheckRequireLeader fails, else nullptr.
//   if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
grpc::ServerUnaryReactor* RejectWithoutLeader(grpc::CallbackServerContext* ctx,
                                              const MemberView& m);

}  // namespace etcdpp::server

namespace etcdpp::server {

// Finishes a stream reactor at most once, and never after its OnDone: shared between the
// reactor and RequireLeaderStreams. The reactor routes EVERY Finish through it, and calls Done
// first thing in OnDone.
class StreamFinisher {
 public:
  explicit StreamFinisher(std::function<void(grpc::Status)> finish) : finish_(std::move(finish)) {}
  // Runs the reactor's Finish with `st` unless it was finished or done already; true if it ran.
  bool Finish(grpc::Status st);
  void Done();

 private:
  Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(grpc::Status)> finish_ ABSL_GUARDED_BY(mu_);
};

// The streams opened with hasleader=true: once the member has had no leader for three election
// timeouts in a row (etcd's maxNoLeaderCnt), every one of them is finished with
// "etcdserver: no leader". Streams whose finisher is gone are forgotten.
class RequireLeaderStreams {
 public:
  RequireLeaderStreams(std::function<uint64_t()> leader, std::chrono::milliseconds election);
  ~RequireLeaderStreams();
  void Start();
  void Stop();

  void Add(std::weak_ptr<StreamFinisher> stream);

 private:
  void Loop();  // checks the leader every election timeout

  const std::function<uint64_t()> leader_;
  const std::chrono::milliseconds election_;
  LoopThread loop_;  // runs Loop()
  std::vector<std::weak_ptr<StreamFinisher>> streams_ ABSL_GUARDED_BY(loop_.mu());
};

}  // namespace etcdpp::server
