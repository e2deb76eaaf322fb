#include "bench/tool/unary_client.h"

namespace etcdpp::bench {

UnaryClient::UnaryClient(Driver* driver, int shard, ConnToken* token,
                         std::unique_ptr<UnaryCall> call, std::function<void()> on_done)
    : driver_(driver),
      shard_(shard),
      call_(std::move(call)),
      on_done_(std::move(on_done)),
      token_(token) {}

void UnaryClient::Kick() {
  n_ = driver_->TakeRequest();
  if (n_ < 0) {
    if (on_done_) on_done_();
    driver_->Quit();
    return;
  }
  int64_t slot = driver_->pacer()->Reserve();
  if (slot > NowNs() + 50'000) {  // more than 50 us away: wait on the queue, not the thread
    waiting_alarm_ = true;
    ScheduleAt(&alarm_, driver_->cq(shard_), slot, this);
    return;
  }
  StartCall();
}

std::unique_ptr<grpc::ClientContext> UnaryClient::NewContext() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(driver_->Deadline());
  token_.Attach(ctx.get());
  return ctx;
}

void UnaryClient::StartCall() {
  ctx_ = NewContext();
  retried_ = false;
  start_ns_ = NowNs();
  category_ = call_->Start(n_, ctx_.get(), driver_->cq(shard_), this);
}

void UnaryClient::Proceed(bool ok) {
  if (waiting_alarm_) {
    waiting_alarm_ = false;
    if (driver_->stopped()) return Kick();  // runs dry at once
    StartCall();
    return;
  }
  if (!call_->status().ok() && !retried_ && token_.RefreshOn(call_->status())) {
    retried_ = true;
    ctx_ = NewContext();
    call_->Resend(ctx_.get(), driver_->cq(shard_), this);
    return;
  }
  int64_t end = NowNs();
  driver_->Progress();
  Recorder* rec = driver_->recorder(shard_);
  if (!call_->status().ok()) {
    rec->Error(category_, end, call_->status());
  } else if (std::string err = call_->ResponseError(); !err.empty()) {
    rec->Error(category_, end, err);
  } else {
    rec->Ok(category_, start_ns_, end);
  }
  Kick();
}

}  // namespace etcdpp::bench
