#pragma once
// ForwardUnary: one unary call of a typed service the proxy serves (kv_proxy.h,
// lease_coalescer.h, cluster_proxy.h), forwarded to the current member with the caller's
// metadata and deadline; `done` may rewrite the member's answer before the client gets it. An
// UNAVAILABLE end moves the proxy to the next member, as the generic forwarding does
// (forward_call.h). AnswerLocally finishes a call the proxy answers itself, counted as a
// forwarded one would be.
//
// RevisionOrder is --experimental-serializable-ordering (etcd's clientv3/ordering, which
// etcd's proxy wraps its KV client in): the proxy remembers the highest store revision its KV
// answers carried; a Range or Txn answer whose revision is below the highest one known when the
// call began came from a member that is behind, so the proxy moves to the next member and asks
// again, up to 5 times per member (etcd's bound, which etcd counts over the proxy's whole life
// and etcdpp per call), then fails the call with etcd's ErrNoGreaterRev text (UNKNOWN, as gRPC
// Go sends a plain error).

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

class RevisionOrder {
 public:
  static constexpr char kNoGreaterRev[] =
      "etcdclient: no cluster members have a revision higher than the previously received "
      "revision";

  explicit RevisionOrder(int max_violations) : max_violations_(max_violations) {}
  int64_t highest() const { return highest_.load(std::memory_order_acquire); }
  void Saw(int64_t rev) {
    int64_t cur = highest_.load(std::memory_order_relaxed);
    while (rev > cur && !highest_.compare_exchange_weak(cur, rev, std::memory_order_acq_rel)) {
    }
  }
  int max_violations() const { return max_violations_; }

 private:
  const int max_violations_;
  std::atomic<int64_t> highest_{0};
};

// How ForwardUnary treats the answer's revision: not at all, remembered, or also checked.
enum class Ordering { kNone, kRecord, kCheck };

inline grpc::ServerUnaryReactor* AnswerLocally(const CallObserver* observer,
                                               grpc::CallbackServerContext* ctx,
                                               const std::string& method, const grpc::Status& s) {
  if (observer->started) observer->started(method);
  if (observer->handled) observer->handled(method, s.error_code());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(s);
  return reactor;
}

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* ForwardUnary(Upstream* up, const CallObserver* observer,
                                       grpc::CallbackServerContext* ctx, const std::string& method,
                                       Req req, Resp* out,
                                       std::function<void(Resp*)> done = nullptr,
                                       RevisionOrder* order = nullptr,
                                       Ordering ordering = Ordering::kNone) {
  // One forwarded call; it re-issues itself while the ordering check refuses the answer.
  struct Call {
    Upstream* up;
    const CallObserver* observer;
    grpc::CallbackServerContext* ctx;
    std::string method;
    Req req;
    Resp* out;
    std::function<void(Resp*)> done;
    RevisionOrder* order;
    Ordering ordering;
    grpc::ServerUnaryReactor* reactor;
    int64_t floor = 0;  // the highest revision known when the call began
    int violations = 0;
    std::unique_ptr<grpc::ClientContext> cctx;
    Resp resp;
    std::shared_ptr<grpc::Channel> channel;  // shared: gRPC's channel type

    void Issue() {
      cctx = std::make_unique<grpc::ClientContext>();
      CopyCallContext(*ctx, cctx.get());
      resp.Clear();
      channel = up->Pick();
      grpc::TemplatedGenericStub<Req, Resp> stub(channel);
      stub.UnaryCall(cctx.get(), method, grpc::StubOptions(), &req, &resp,
                     [this](grpc::Status s) { Answered(std::move(s)); });
    }

    void Answered(grpc::Status s) {
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE) up->Failed(channel);
      if (s.ok() && ordering != Ordering::kNone) {
        const int64_t rev = resp.header().revision();
        if (ordering == Ordering::kCheck && rev < floor) {
          if (++violations <= order->max_violations()) {
            up->Failed(channel, "member is behind the revision the proxy has answered with");
            Issue();
            return;
          }
          s = grpc::Status(grpc::StatusCode::UNKNOWN, RevisionOrder::kNoGreaterRev);
        } else {
          order->Saw(rev);
        }
      }
      if (s.ok()) {
        if (done) done(&resp);
        *out = std::move(resp);
      }
      CopyTrailers(*cctx, ctx);
      if (observer->handled) observer->handled(method, s.error_code());
      grpc::ServerUnaryReactor* r = reactor;
      delete this;
      r->Finish(s);
    }
  };
  if (order == nullptr) ordering = Ordering::kNone;
  if (observer->started) observer->started(method);
  auto* call = new Call{up,  observer,        ctx,   method,   std::move(req),
                        out, std::move(done), order, ordering, ctx->DefaultReactor()};
  if (order != nullptr) call->floor = order->highest();
  grpc::ServerUnaryReactor* reactor = call->reactor;
  call->Issue();
  return reactor;
}

}  // namespace etcdpp::server::grpcproxy
