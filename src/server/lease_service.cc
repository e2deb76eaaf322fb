#include "server/lease_service.h"

#include <atomic>
#include <optional>

#include "lease/errors.h"
#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/lease_retry.h"
#include "server/request_timeouts.h"
#include "server/require_leader.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// Answers a call whose entry was applied: the applier's response (header revision set at
// apply time), completed with the member's header fields.
template <typename Resp>
Applier::Waiter FinishApplied(EtcdServer* s, grpc::ServerUnaryReactor* reactor, Resp* resp) {
  return [s, reactor, resp](ApplyResult r) {
    if (!r.status.ok()) {
      reactor->Finish(ToGrpcStatus(r.status));
      return;
    }
    resp->Swap(static_cast<Resp*>(r.response.get()));
    s->FillHeader(resp->mutable_header());
    reactor->Finish(grpc::Status::OK);
  };
}

// etcd's header for lease answers served outside the log: the current revision.
void FillCurrentHeader(const EtcdServer* s, pb::ResponseHeader* h) {
  s->FillHeader(h);
  h->set_revision(s->CurrentRevision());
}

// Runs a lease call that needs the leader, retried through a leader change (lease_retry.h).
template <typename T>
void WithLeader(EtcdServer* s, typename LeaderRetry<T>::Attempt attempt,
                std::function<bool()> cancelled, typename LeaderRetry<T>::Done done) {
  const auto timeout = RequestTimeoutFor(static_cast<int64_t>(s->config().election_timeout_ms));
  LeaderRetry<T>::Run(std::move(attempt), timeout,
                      {std::move(cancelled), [s] { return s->leader() != 0; }}, std::move(done));
}

// One keepalive stream: read a request, renew, write the answer, read the next (etcd's
// leaseKeepAlive loop). At most one operation is in flight. Every Finish goes through the
// finisher (hasleader streams may be finished from outside: require_leader.h); one that comes
// during a renewal is deferred until it returns, so no write ever starts after Finish.
class KeepAliveReactor final
    : public grpc::ServerBidiReactor<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse> {
 public:
  explicit KeepAliveReactor(EtcdServer* s)
      : s_(s), finisher_(std::make_shared<StreamFinisher>([this](grpc::Status st) {
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
    FillCurrentHeader(s_, resp_.mutable_header());
    {
      MutexLock l(&mu_);
      renewing_ = true;
    }
    EtcdServer* s = s_;
    const int64_t id = req_.id();
    WithLeader<int64_t>(
        s, [s, id](LeaderRetry<int64_t>::Done d) { s->RenewLease(id, std::move(d)); },
        [this] { return cancelled_.load(); },
        [this](absl::StatusOr<int64_t> ttl) { OnRenewed(std::move(ttl)); });
  }

  void OnCancel() override { cancelled_ = true; }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      finisher_->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
      return;
    }
    StartRead(&req_);
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
    }
    Finish(std::move(st));
  }

  void OnRenewed(absl::StatusOr<int64_t> ttl) {
    std::optional<grpc::Status> deferred;
    {
      MutexLock l(&mu_);
      renewing_ = false;
      deferred.swap(deferred_);
    }
    if (deferred.has_value()) {
      Finish(*std::move(deferred));
      return;
    }
    if (!ttl.ok() && !lease::IsLeaseNotFound(ttl.status())) {
      finisher_->Finish(ToGrpcStatus(ttl.status()));
      return;
    }
    resp_.set_ttl(ttl.ok() ? *ttl : 0);  // an unknown lease: TTL 0, the stream goes on
    StartWrite(&resp_);
  }

  EtcdServer* const s_;
  const std::shared_ptr<StreamFinisher> finisher_;
  pb::LeaseKeepAliveRequest req_;
  pb::LeaseKeepAliveResponse resp_;
  std::atomic<bool> cancelled_{false};  // a renewal being retried stops
  Mutex mu_;
  bool renewing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> deferred_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerUnaryReactor* LeaseService::LeaseGrant(grpc::CallbackServerContext* ctx,
                                                   const pb::LeaseGrantRequest* req,
                                                   pb::LeaseGrantResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  *ir.mutable_lease_grant() = *req;
  if (req->id() == 0) ir.mutable_lease_grant()->set_id(s_->NextLeaseId());
  s_->Propose(std::move(ir), FinishApplied(s_, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseRevoke(grpc::CallbackServerContext* ctx,
                                                    const pb::LeaseRevokeRequest* req,
                                                    pb::LeaseRevokeResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  *ir.mutable_lease_revoke() = *req;
  s_->Propose(std::move(ir), FinishApplied(s_, reactor, resp));
  return reactor;
}

grpc::ServerBidiReactor<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>*
LeaseService::LeaseKeepAlive(grpc::CallbackServerContext* ctx) {
  auto* r = new KeepAliveReactor(s_);
  GuardStreamWithLeader(ctx, s_, r->finisher());
  return r;
}

// An unknown lease is not an error here: etcd answers TTL -1.
grpc::ServerUnaryReactor* LeaseService::LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                                        const pb::LeaseTimeToLiveRequest* req,
                                                        pb::LeaseTimeToLiveResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  auto* reactor = ctx->DefaultReactor();
  EtcdServer* s = s_;
  int64_t id = req->id();
  using Resp = pb::LeaseTimeToLiveResponse;
  WithLeader<Resp>(
      s, [s, req](LeaderRetry<Resp>::Done d) { s->LeaseTimeToLive(*req, std::move(d)); },
      [ctx] { return ctx->IsCancelled(); },
      [s, reactor, resp, id](absl::StatusOr<Resp> r) {
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
        FillCurrentHeader(s, resp->mutable_header());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseLeases(grpc::CallbackServerContext* ctx,
                                                    const pb::LeaseLeasesRequest* req,
                                                    pb::LeaseLeasesResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  for (lease::LeaseId id : s_->lessor().Leases()) resp->add_leases()->set_id(id);
  FillCurrentHeader(s_, resp->mutable_header());
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace etcdpp::server
