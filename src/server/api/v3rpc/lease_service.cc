#include "server/api/v3rpc/lease_service.h"
#include "server/api/v3rpc/finish.h"

#include <atomic>
#include <optional>

#include "lease/errors.h"
#include "server/api/v3rpc/lease_retry.h"
#include "server/api/v3rpc/require_leader.h"
#include "server/api/v3rpc/views.h"
#include "server/config.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// etcd's header for lease answers served outside the log: the current revision.
void FillCurrentHeader(const Views& v, pb::ResponseHeader* h) {
  v.member->FillHeader(h);
  h->set_revision(v.lease->CurrentRevision());
}

// Runs a lease call that needs the leader, retried through a leader change (lease_retry.h).
template <typename T>
void WithLeader(Views v, typename LeaderRetry<T>::Attempt attempt, std::function<bool()> cancelled,
                typename LeaderRetry<T>::Done done) {
  const auto timeout =
      RequestTimeoutFor(static_cast<int64_t>(v.member->config().election_timeout_ms));
  LeaderRetry<T>::Run(std::move(attempt), timeout,
                      {std::move(cancelled), [v] { return v.member->leader() != 0; }},
                      std::move(done));
}

// One keepalive stream: read a request, renew, write the answer, read the next (etcd's
// leaseKeepAlive loop). At most one operation is in flight. Every Finish goes through the
// finisher (hasleader streams may be finished from outside: require_leader.h); one that comes
// during a renewal is deferred until it returns, so no write ever starts after Finish.
class KeepAliveReactor final
    : public grpc::ServerBidiReactor<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse> {
 public:
  KeepAliveReactor(Views v, const grpc::CallbackServerContext* ctx)
      : v_(v), ctx_(ctx), finisher_(std::make_shared<StreamFinisher>([this](grpc::Status st) {
          DoFinish(std::move(st));
        })) {
    StartRead(&req_);
  }
  const std::shared_ptr<StreamFinisher>& finisher() const { return finisher_; }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call is gone)
      finisher_->Finish(grpc::Status::OK);
      return;
    }
    // The header is taken before the renewal, as etcd: a revocation can not appear to come
    // before a keepalive that was acknowledged.
    resp_.Clear();
    resp_.set_id(req_.id());
    FillCurrentHeader(v_, resp_.mutable_header());
    {
      MutexLock l(&mu_);
      // Finished from outside while the read was done: OnDone may follow as soon as this
      // returns, so no renewal (whose callback holds this) may start.
      if (finished_) return;
      renewing_ = true;
    }
    Views v = v_;
    const int64_t id = req_.id();
    WithLeader<int64_t>(
        v, [v, id](LeaderRetry<int64_t>::Done d) { v.lease->RenewLease(id, std::move(d)); },
        [this] { return cancelled_.load(); },
        [this](absl::StatusOr<int64_t> ttl) { OnRenewed(std::move(ttl)); });
  }

  void OnCancel() override { cancelled_ = true; }

  // The read starts under mu_, where DoFinish marks the stream finished before it calls
  // Finish: never after the Finish (gRPC never runs a reaction inside StartRead/StartWrite, so
  // holding mu_ there cannot deadlock).
  void OnWriteDone(bool ok) override {
    if (!ok) {
      // etcd counts a failed send unless the client went away (isClientCtxErr).
      if (!ctx_->IsCancelled()) Metrics::Get().StreamFailure("send", "lease-keepalive");
      finisher_->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
      return;
    }
    MutexLock l(&mu_);
    if (!finished_) StartRead(&req_);
  }

  void OnDone() override {
    finisher_->Done();
    delete this;
  }

 private:
  void DoFinish(grpc::Status st) {
    {
      MutexLock l(&mu_);
      if (renewing_) {
        deferred_ = std::move(st);
        cancelled_ = true;  // a renewal being retried gives up
        return;
      }
      finished_ = true;
    }
    Finish(std::move(st));
  }

  // The answer's write starts under mu_ (see OnWriteDone): a Finish from outside that comes
  // once renewing_ is false either sees the write started or keeps it from starting.
  void OnRenewed(absl::StatusOr<int64_t> ttl) {
    std::optional<grpc::Status> deferred;
    {
      MutexLock l(&mu_);
      renewing_ = false;
      deferred.swap(deferred_);
      if (deferred.has_value()) {
        finished_ = true;
      } else if (ttl.ok() || lease::IsLeaseNotFound(ttl.status())) {
        if (finished_) return;
        resp_.set_ttl(ttl.ok() ? *ttl : 0);  // an unknown lease: TTL 0, the stream goes on
        StartWrite(&resp_);
        return;
      }
    }
    if (deferred.has_value()) {
      Finish(*std::move(deferred));
      return;
    }
    finisher_->Finish(ToGrpcStatus(ttl.status()));
  }

  const Views v_;
  const grpc::CallbackServerContext* const ctx_;  // the stream's; outlives the reactor
  const std::shared_ptr<StreamFinisher> finisher_;
  pb::LeaseKeepAliveRequest req_;
  pb::LeaseKeepAliveResponse resp_;
  std::atomic<bool> cancelled_{false};  // a renewal being retried stops
  Mutex mu_;
  bool renewing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish called or about to be
  std::optional<grpc::Status> deferred_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerUnaryReactor* LeaseService::LeaseGrant(grpc::CallbackServerContext* ctx,
                                                   const pb::LeaseGrantRequest* req,
                                                   pb::LeaseGrantResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  if (absl::Status st = StampCaller(v_.auth, *ctx, &ir); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  *ir.mutable_lease_grant() = *req;
  if (req->id() == 0) ir.mutable_lease_grant()->set_id(v_.lease->NextLeaseId());
  v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseRevoke(grpc::CallbackServerContext* ctx,
                                                    const pb::LeaseRevokeRequest* req,
                                                    pb::LeaseRevokeResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  if (absl::Status st = StampCaller(v_.auth, *ctx, &ir); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  *ir.mutable_lease_revoke() = *req;
  v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  return reactor;
}

grpc::ServerBidiReactor<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>*
LeaseService::LeaseKeepAlive(grpc::CallbackServerContext* ctx) {
  auto* r = new KeepAliveReactor(v_, ctx);
  GuardStreamWithLeader(ctx, v_.member, r->finisher());
  return r;
}

// An unknown lease is not an error here: etcd answers TTL -1.
grpc::ServerUnaryReactor* LeaseService::LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                                        const pb::LeaseTimeToLiveRequest* req,
                                                        pb::LeaseTimeToLiveResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  Views v = v_;
  int64_t id = req->id();
  using Resp = pb::LeaseTimeToLiveResponse;
  WithLeader<Resp>(
      v, [v, req](LeaderRetry<Resp>::Done d) { v.lease->LeaseTimeToLive(*req, std::move(d)); },
      [ctx] { return ctx->IsCancelled(); },
      [v, reactor, resp, id](absl::StatusOr<Resp> r) {
        if (!r.ok() && !lease::IsLeaseNotFound(r.status())) {
          reactor->Finish(ToGrpcStatus(r.status()));
          return;
        }
        if (r.ok()) {
          resp->Swap(&*r);
        } else {
          resp->set_id(id);
          resp->set_ttl(-1);
        }
        FillCurrentHeader(v, resp->mutable_header());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseLeases(grpc::CallbackServerContext* ctx,
                                                    const pb::LeaseLeasesRequest* req,
                                                    pb::LeaseLeasesResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  for (lease::LeaseId id : v_.lease->lessor().Leases()) resp->add_leases()->set_id(id);
  FillCurrentHeader(v_, resp->mutable_header());
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace etcdpp::server
