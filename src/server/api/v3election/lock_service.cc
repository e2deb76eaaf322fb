#include "server/api/v3election/lock_service.h"

#include <utility>

#include "server/api/v3election/recipes.h"
#include "server/api/v3election/unary_call.h"
#include "server/api/v3election/wait_deletes.h"
#include "server/api/v3rpc/require_leader.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;
namespace lpb = ::v3lockpb;

namespace {

// One Lock call: lease, txn, then the wait for the keys before its own.
class LockJob : public std::enable_shared_from_this<LockJob> {
 public:
  using Reply = Answer<lpb::LockResponse>;
  LockJob(LocalClient* client, const lpb::LockRequest& req, std::shared_ptr<Reply> answer)
      : client_(client),
        prefix_(req.name() + "/"),
        answer_(std::move(answer)),
        lease_(req.lease()) {}

  void Start() {
    client_->SessionLease(lease_, [self = shared_from_this()](absl::StatusOr<int64_t> id) {
      if (!id.ok()) {
        self->answer_->Fail(recipes::ToRecipeGrpcStatus(id.status()));
        return;
      }
      self->Put(*id);
    });
  }

  void Cancel() {
    std::shared_ptr<WaitDeletes> wait;
    {
      MutexLock l(&mu_);
      cancelled_ = true;
      wait = wait_;
    }
    if (wait) wait->Cancel();  // OnWaited unlocks
  }

 private:
  void Put(int64_t lease) {
    lease_ = lease;
    key_ = recipes::OwnKey(prefix_, lease_);
    client_->Txn(recipes::LockTxn(key_, prefix_, lease_),
                 [self = shared_from_this()](absl::StatusOr<pb::TxnResponse> r) {
                   self->OnTxn(std::move(r));
                 });
  }

  void OnTxn(absl::StatusOr<pb::TxnResponse> r) {
    absl::Status st = r.status();
    if (st.ok()) st = recipes::OwnRevision(*r, &rev_);
    if (!st.ok()) {
      answer_->Fail(recipes::ToRecipeGrpcStatus(st));
      return;
    }
    if (recipes::LockHeld(*r, rev_)) {
      Done(r->header());
      return;
    }
    std::weak_ptr<LockJob> weak = weak_from_this();
    auto wait = WaitDeletes::Start(client_, prefix_, rev_ - 1,
                                   [weak](absl::StatusOr<pb::ResponseHeader> r) {
                                     if (auto self = weak.lock()) self->OnWaited(std::move(r));
                                   });
    bool cancel;
    {
      MutexLock l(&mu_);
      wait_ = wait;
      cancel = cancelled_;
    }
    if (cancel) wait->Cancel();
  }

  void OnWaited(absl::StatusOr<pb::ResponseHeader> r) {
    {
      MutexLock l(&mu_);
      wait_ = nullptr;
    }
    if (!r.ok()) {  // cancelled or failed: give the place up, as etcd's Mutex.Lock
      Unlock();
      answer_->Fail(recipes::ToRecipeGrpcStatus(r.status()));
      return;
    }
    Done(*r);
  }

  void Done(pb::ResponseHeader h) {
    lpb::LockResponse resp;
    *resp.mutable_header() = std::move(h);
    resp.set_key(key_);
    bool cancelled;
    {
      MutexLock l(&mu_);
      cancelled = cancelled_;
    }
    // A call cancelled before it got the lock gives it back.
    if (cancelled || !answer_->Reply(std::move(resp))) Unlock();
  }

  void Unlock() {
    pb::DeleteRangeRequest d;
    d.set_key(key_);
    client_->Delete(std::move(d),
                    [self = shared_from_this()](absl::StatusOr<pb::DeleteRangeResponse>) {});
  }

  // Constant after construction.
  LocalClient* const client_;
  const std::string prefix_;
  const std::shared_ptr<Reply> answer_;

  // Set once, in order, by the job's steps.
  int64_t lease_;
  std::string key_;
  int64_t rev_ = 0;

  Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<WaitDeletes> wait_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerUnaryReactor* LockService::Lock(grpc::CallbackServerContext* ctx,
                                            const lpb::LockRequest* req, lpb::LockResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *client_.views().member)) return r;
  auto* call = new UnaryCall<lpb::LockResponse>(resp);
  auto job = std::make_shared<LockJob>(&client_, *req, call->answer());
  call->OnCancelRun([job] { job->Cancel(); });
  job->Start();
  return call;
}

grpc::ServerUnaryReactor* LockService::Unlock(grpc::CallbackServerContext* ctx,
                                              const lpb::UnlockRequest* req,
                                              lpb::UnlockResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *client_.views().member)) return r;
  auto* call = new UnaryCall<lpb::UnlockResponse>(resp);
  pb::DeleteRangeRequest d;
  d.set_key(req->key());
  client_.Delete(std::move(d),
                 [answer = call->answer()](absl::StatusOr<pb::DeleteRangeResponse> r) {
                   if (!r.ok()) {
                     answer->Fail(recipes::ToRecipeGrpcStatus(r.status()));
                     return;
                   }
                   lpb::UnlockResponse out;
                   *out.mutable_header() = r->header();
                   answer->Reply(std::move(out));
                 });
  return call;
}

}  // namespace etcdpp::server
