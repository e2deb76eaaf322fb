#pragma once
// UnaryClient: one closed-loop client of a unary RPC. It takes a request number from the
// driver, waits for its pacing slot (a grpc::Alarm, no thread blocks), starts the call,
// records the latency or the error when it finishes, and repeats until the driver runs dry.
//
// The request itself comes from a UnaryCall: a small object that knows how to fill and start
// one kind of RPC (Put, Range, Txn, LeaseGrant...). TypedCall adapts any generated
// PrepareAsyncFoo method.

#include <functional>
#include <memory>

#include "bench/tool/driver.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/async_unary_call.h"

namespace etcdpp::bench {

class UnaryCall {
 public:
  virtual ~UnaryCall() = default;
  // Fills request `n` and starts it; `tag` is called when it finishes. Returns the report
  // category of the request.
  virtual int Start(int64_t n, grpc::ClientContext* ctx, grpc::CompletionQueue* cq, void* tag) = 0;
  // Sends the last request again, unchanged, on a fresh context.
  virtual void Resend(grpc::ClientContext* ctx, grpc::CompletionQueue* cq, void* tag) = 0;
  virtual const grpc::Status& status() const = 0;
  // An application-level failure in a response that came back OK ("" when none).
  virtual std::string ResponseError() const { return ""; }
};

template <class Req, class Resp>
class TypedCall : public UnaryCall {
 public:
  using Reader = grpc::ClientAsyncResponseReader<Resp>;
  using Prepare = std::function<std::unique_ptr<Reader>(grpc::ClientContext*, const Req&,
                                                        grpc::CompletionQueue*)>;
  // Fills the request for number n; returns its category.
  using Fill = std::function<int(int64_t n, Req* req)>;
  using Check = std::function<std::string(const Resp&)>;

  TypedCall(Prepare prepare, Fill fill, Check check = nullptr)
      : prepare_(std::move(prepare)), fill_(std::move(fill)), check_(std::move(check)) {}

  int Start(int64_t n, grpc::ClientContext* ctx, grpc::CompletionQueue* cq, void* tag) override {
    int category = fill_(n, &req_);
    Resend(ctx, cq, tag);
    return category;
  }
  void Resend(grpc::ClientContext* ctx, grpc::CompletionQueue* cq, void* tag) override {
    resp_.Clear();
    reader_ = prepare_(ctx, req_, cq);
    reader_->StartCall();
    reader_->Finish(&resp_, &status_, tag);
  }
  const grpc::Status& status() const override { return status_; }
  std::string ResponseError() const override { return check_ ? check_(resp_) : ""; }
  const Resp& response() const { return resp_; }

 private:
  const Prepare prepare_;
  const Fill fill_;
  const Check check_;
  Req req_;
  Resp resp_;
  grpc::Status status_;
  std::unique_ptr<Reader> reader_;
};

class UnaryClient : public Tag {
 public:
  // `shard` selects the queue (and recorder); `token` is the connection's (Driver::token, may
  // be nullptr); `call` is owned; `on_done` (optional) runs on the queue thread when the client
  // runs dry, just before it quits. A request that fails on a stale token is sent once more
  // after a new login, as clientv3 does; its latency counts both attempts.
  UnaryClient(Driver* driver, int shard, ConnToken* token, std::unique_ptr<UnaryCall> call,
              std::function<void()> on_done = nullptr);

  // Starts the loop; the client calls driver->Quit() when it runs dry.
  void Kick();
  void Proceed(bool ok) override;

 private:
  void StartCall();
  std::unique_ptr<grpc::ClientContext> NewContext();

  Driver* const driver_;
  const int shard_;
  const std::unique_ptr<UnaryCall> call_;
  const std::function<void()> on_done_;
  TokenCopy token_;
  bool retried_ = false;  // the current request was already resent after a new login
  std::unique_ptr<grpc::ClientContext> ctx_;
  grpc::Alarm alarm_;
  bool waiting_alarm_ = false;
  int64_t n_ = 0;
  int category_ = 0;
  int64_t start_ns_ = 0;
};

}  // namespace etcdpp::bench
