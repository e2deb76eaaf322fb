#include "bench/tool/watch_stream.h"

namespace etcdpp::bench {

WatchStream::WatchStream(Driver* driver, int shard, etcdserverpb::Watch::Stub* stub,
                         ConnToken* token, std::vector<std::string> keys, Hooks hooks)
    : driver_(driver),
      shard_(shard),
      stub_(stub),
      keys_(std::move(keys)),
      hooks_(std::move(hooks)),
      token_(token) {}

void WatchStream::Start() {
  state_ = State::kStarting;
  token_.Attach(&ctx_);
  rw_ = stub_->PrepareAsyncWatch(&ctx_, driver_->cq(shard_));
  rw_->StartCall(this);
}

void WatchStream::Cancel() {
  cancelled_.store(true);
  ctx_.TryCancel();
}

void WatchStream::WriteNextCreate() {
  req_.Clear();
  req_.mutable_create_request()->set_key(keys_[next_create_++]);
  create_start_ns_ = NowNs();
  state_ = State::kWriting;
  rw_->Write(req_, this);
}

void WatchStream::Read() {
  state_ = State::kReading;
  resp_.Clear();
  rw_->Read(&resp_, this);
}

void WatchStream::Finish() {
  state_ = State::kFinishing;
  rw_->Finish(&status_, this);
}

void WatchStream::OnResponse(int64_t now) {
  driver_->Progress();
  if (resp_.canceled()) {
    failure_ = "watch canceled: " + resp_.cancel_reason();
    Cancel();
    cancelled_.store(false);  // not our cancellation: report it
    Read();
    return;
  }
  if (resp_.created()) {
    if (hooks_.created) hooks_.created(this, create_start_ns_, now);
    if (next_create_ < keys_.size()) {
      WriteNextCreate();
      return;
    }
  }
  if (resp_.events_size() > 0 && hooks_.events) hooks_.events(this, resp_, now);
  Read();
}

void WatchStream::Proceed(bool ok) {
  switch (state_) {
    case State::kStarting:
      if (!ok || keys_.empty()) return Finish();
      return WriteNextCreate();
    case State::kWriting:
      if (!ok) return Finish();
      return Read();
    case State::kReading:
      if (!ok) return Finish();
      return OnResponse(NowNs());
    case State::kFinishing: {
      bool quiet = cancelled_.load() && failure_.empty();
      if (!quiet && hooks_.died) {
        std::string err = !failure_.empty() ? failure_
                          : status_.ok()    ? std::string("watch stream closed by server")
                                            : GoErrorString(status_);
        hooks_.died(this, err);
      }
      driver_->Quit();
      return;
    }
  }
}

}  // namespace etcdpp::bench
