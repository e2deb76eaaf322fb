#pragma once
// A unary call of the election and lock services that may wait long (a Campaign or Lock waits
// for the keys before its own to go): answered exactly once, by the recipe or by the client's
// cancellation, whichever comes first, and never touched after gRPC's OnDone.

#include <functional>
#include <memory>

#include "common/mutex.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace etcdpp::server {

// The answering side, shared by the reactor and the recipe's job (which may outlive the call).
template <typename Resp>
class Answer {
 public:
  // Answers OK with `r` unless the call was answered; true if this answer went out.
  bool Reply(Resp r) {
    grpc::ServerUnaryReactor* reactor;
    {
      MutexLock l(&mu_);
      if (answered_) return false;
      answered_ = true;
      reactor = reactor_;
      resp_->Swap(&r);  // gRPC's response lives until OnDone, which comes after Finish
    }
    reactor->Finish(grpc::Status::OK);
    return true;
  }
  bool Fail(grpc::Status st) {
    grpc::ServerUnaryReactor* reactor;
    {
      MutexLock l(&mu_);
      if (answered_) return false;
      answered_ = true;
      reactor = reactor_;
    }
    reactor->Finish(std::move(st));
    return true;
  }

 private:
  template <typename>
  friend class UnaryCall;
  Answer(grpc::ServerUnaryReactor* reactor, Resp* resp) : reactor_(reactor), resp_(resp) {}

  Mutex mu_;
  bool answered_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ServerUnaryReactor* const reactor_;  // valid until answered (OnDone follows Finish)
  Resp* const resp_;
};

// The reactor: owns itself until OnDone. A cancelled call runs the job's cancel action, then is
// answered CANCELLED at once (the job's cleanup goes on without it).
template <typename Resp>
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  explicit UnaryCall(Resp* resp)
      : answer_(std::shared_ptr<Answer<Resp>>(new Answer<Resp>(this, resp))) {}
  const std::shared_ptr<Answer<Resp>>& answer() const { return answer_; }

  // What a cancellation must undo; runs at once if the call was cancelled already.
  void OnCancelRun(std::function<void()> fn) {
    {
      MutexLock l(&mu_);
      if (!cancelled_) {
        on_cancel_ = std::move(fn);
        return;
      }
    }
    fn();
  }

  void OnCancel() override {
    std::function<void()> fn;
    {
      MutexLock l(&mu_);
      cancelled_ = true;
      fn = std::move(on_cancel_);
    }
    if (fn) fn();
    answer_->Fail(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
  }
  void OnDone() override { delete this; }

 private:
  const std::shared_ptr<Answer<Resp>> answer_;
  Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> on_cancel_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
