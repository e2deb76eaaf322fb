// lease-keepalive (etcd's lease.go): each client grants a lease with a 100 s TTL, then sends
// keep-alives one at a time. etcd's tool calls KeepAliveOnce, which opens a stream per request;
// here each client keeps one LeaseKeepAlive stream and alternates Write and Read on it (the
// way a real client keeps a lease alive). A failed grant or stream counts as one failed
// request and the client starts over with the next one.

#include <memory>

#include "bench/tool/workload.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/async_stream.h"
#include "grpcpp/support/async_unary_call.h"

namespace etcdpp::bench {
namespace {

using etcdserverpb::Lease;

class LeaseClient : public Tag {
 public:
  LeaseClient(Driver* d, int shard, Lease::Stub* stub, ConnToken* token)
      : d_(d), shard_(shard), stub_(stub), token_(token) {}

  void Kick() {
    n_ = d_->TakeRequest();
    if (n_ < 0) return Close();
    int64_t slot = d_->pacer()->Reserve();
    if (slot > NowNs() + 50'000) {
      state_ = State::kPacing;
      ScheduleAt(&alarm_, d_->cq(shard_), slot, this);
      return;
    }
    Begin();
  }

  void Proceed(bool ok) override {
    switch (state_) {
      case State::kPacing:
        return d_->stopped() ? Close() : Begin();
      case State::kGranting:
        return OnGranted();
      case State::kStarting:
        if (!ok) return FinishStream();
        return Write();
      case State::kWriting:
        if (!ok) return FinishStream();
        state_ = State::kReading;
        rw_->Read(&ka_resp_, this);
        return;
      case State::kReading:
        if (!ok) return FinishStream();
        return OnKeptAlive();
      case State::kFailing:               // the stream's status after a failed operation
        (void)token_.RefreshOn(status_);  // a stale token: the next stream has a new one
        Fail(GoErrorString(status_.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN, "stream closed")
                                        : status_));
        rw_.reset();
        return Kick();
      case State::kClosingWrites:
        state_ = State::kClosing;
        rw_->Finish(&status_, this);
        return;
      case State::kClosing:
        rw_.reset();
        d_->Quit();
        return;
    }
  }

 private:
  enum class State {
    kPacing,
    kGranting,
    kStarting,
    kWriting,
    kReading,
    kFailing,
    kClosingWrites,
    kClosing
  };

  void Begin() {
    start_ns_ = NowNs();
    grant_retried_ = false;
    if (lease_id_ == 0) return Grant();
    if (!rw_) return OpenStream();
    Write();
  }

  void Grant() {
    state_ = State::kGranting;
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(d_->Deadline());
    token_.Attach(ctx_.get());
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(100);
    grant_ = stub_->PrepareAsyncLeaseGrant(ctx_.get(), req, d_->cq(shard_));
    grant_->StartCall();
    grant_->Finish(&grant_resp_, &status_, this);
  }

  void OnGranted() {
    d_->Progress();
    if (!status_.ok() && !grant_retried_ && token_.RefreshOn(status_)) {
      grant_retried_ = true;  // clientv3: log in again, retry once
      return Grant();
    }
    if (!status_.ok()) {
      Fail(GoErrorString(status_));
      return Kick();
    }
    if (!grant_resp_.error().empty()) {
      Fail(grant_resp_.error());
      return Kick();
    }
    d_->recorder(shard_)->Ok(1, start_ns_, NowNs());
    lease_id_ = grant_resp_.id();
    start_ns_ = NowNs();
    OpenStream();
  }

  void OpenStream() {
    state_ = State::kStarting;
    stream_ctx_ = std::make_unique<grpc::ClientContext>();
    token_.Attach(stream_ctx_.get());
    rw_ = stub_->PrepareAsyncLeaseKeepAlive(stream_ctx_.get(), d_->cq(shard_));
    rw_->StartCall(this);
  }

  void Write() {
    state_ = State::kWriting;
    ka_req_.set_id(lease_id_);
    rw_->Write(ka_req_, this);
  }

  void OnKeptAlive() {
    d_->Progress();
    if (ka_resp_.ttl() <= 0)
      Fail("etcdserver: requested lease not found");
    else
      d_->recorder(shard_)->Ok(0, start_ns_, NowNs());
    Kick();
  }

  void FinishStream() {
    state_ = State::kFailing;
    rw_->Finish(&status_, this);
  }

  void Fail(const std::string& msg) { d_->recorder(shard_)->Error(0, NowNs(), msg); }

  void Close() {
    if (!rw_) {
      d_->Quit();
      return;
    }
    state_ = State::kClosingWrites;
    rw_->WritesDone(this);
  }

  Driver* const d_;
  const int shard_;
  Lease::Stub* const stub_;
  TokenCopy token_;
  bool grant_retried_ = false;
  State state_ = State::kPacing;
  grpc::Alarm alarm_;
  int64_t n_ = 0, start_ns_ = 0, lease_id_ = 0;
  std::unique_ptr<grpc::ClientContext> ctx_, stream_ctx_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::LeaseGrantResponse>> grant_;
  etcdserverpb::LeaseGrantResponse grant_resp_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                                etcdserverpb::LeaseKeepAliveResponse>>
      rw_;
  etcdserverpb::LeaseKeepAliveRequest ka_req_;
  etcdserverpb::LeaseKeepAliveResponse ka_resp_;
  grpc::Status status_;
};

}  // namespace

[[nodiscard]] absl::Status RunLeaseKeepalive(Driver* d, Notes*) {
  const Options& o = d->options();
  std::vector<std::unique_ptr<Lease::Stub>> stubs;
  for (int i = 0; i < d->channels(); ++i) stubs.push_back(Lease::NewStub(d->channel(i)));
  std::vector<std::unique_ptr<LeaseClient>> clients;
  for (int c = 0; c < o.clients; ++c) {
    clients.push_back(std::make_unique<LeaseClient>(d, c % d->shards(),
                                                    stubs[c % stubs.size()].get(), d->token(c)));
  }
  d->AddLive(o.clients);
  d->Run(
      [&] {
        for (auto& c : clients) c->Kick();
      },
      [] {});
  return absl::OkStatus();
}

}  // namespace etcdpp::bench
