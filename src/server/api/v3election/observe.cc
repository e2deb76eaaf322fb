#include "server/api/v3election/observe.h"

#include <utility>

#include "server/api/v3election/recipes.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;
namespace epb = ::v3electionpb;

namespace {

// Unwritten answers beyond which the watch pauses.
constexpr size_t kMaxQueued = 64;

}  // namespace

ObserveReactor::ObserveReactor(LocalClient* client, std::string prefix)
    : client_(client), prefix_(std::move(prefix)) {}

ObserveReactor* ObserveReactor::Start(LocalClient* client, std::string prefix) {
  std::shared_ptr<ObserveReactor> r(new ObserveReactor(client, std::move(prefix)));
  r->self_ = r;
  r->finisher_ = std::make_shared<StreamFinisher>(
      [raw = r.get()](grpc::Status st) { raw->DoFinish(std::move(st)); });
  r->Round();
  return r.get();
}

void ObserveReactor::Round() {
  std::weak_ptr<ObserveReactor> weak = weak_from_this();
  client_->Get(recipes::FirstCreated(prefix_), [weak](absl::StatusOr<pb::RangeResponse> r) {
    if (auto self = weak.lock()) self->OnLeader(std::move(r));
  });
}

void ObserveReactor::OnLeader(absl::StatusOr<pb::RangeResponse> r) {
  if (!r.ok()) {
    End(grpc::Status::OK);
    return;
  }
  if (r->kvs_size() > 0) {
    Send(r->header(), r->kvs(0));
    Follow(r->kvs(0), r->header().revision() + 1);
    return;
  }
  watch::KeyRange range;
  range.key = prefix_;
  range.end = recipes::PrefixEnd(prefix_);
  std::weak_ptr<ObserveReactor> weak = weak_from_this();
  Watch(std::move(range), r->header().revision(), [weak](const watch::Response& w) {
    auto self = weak.lock();
    return self != nullptr && self->OnFirstPut(w);
  });
}

bool ObserveReactor::OnFirstPut(const watch::Response& r) {
  if (r.compact_revision != 0) {
    End(grpc::Status::OK);
    return false;
  }
  for (const watch::EventPtr& ev : r.events) {
    if (ev->type() != mvccpb::Event::PUT) continue;  // a delete would make it spin, as etcd says
    StopWatch();
    // The header's revision is the put's (one answer may carry several puts).
    Send(client_->Header(ev->kv().mod_revision()), ev->kv());
    Follow(ev->kv(), ev->kv().mod_revision() + 1);
    return false;
  }
  return true;
}

void ObserveReactor::Follow(const mvccpb::KeyValue& kv, int64_t from_rev) {
  watch::KeyRange key;
  key.key = kv.key();
  std::weak_ptr<ObserveReactor> weak = weak_from_this();
  Watch(std::move(key), from_rev, [weak](const watch::Response& w) {
    auto self = weak.lock();
    return self != nullptr && self->OnLeaderKey(w);
  });
}

bool ObserveReactor::OnLeaderKey(const watch::Response& r) {
  if (r.compact_revision != 0) {
    End(grpc::Status::OK);
    return false;
  }
  bool room = true;
  for (const watch::EventPtr& ev : r.events) {
    if (ev->type() == mvccpb::Event::DELETE) {  // the leader is gone: find the next one
      StopWatch();
      Round();
      return false;
    }
    room = Send(client_->Header(r.revision), ev->kv());
  }
  return room;
}

void ObserveReactor::Watch(watch::KeyRange range, int64_t from_rev, KeyWatch::Handler h) {
  absl::StatusOr<std::shared_ptr<KeyWatch>> w =
      client_->Watch(std::move(range), from_rev, std::move(h));
  if (!w.ok()) {
    End(grpc::Status::OK);
    return;
  }
  {
    MutexLock l(&mu_);
    if (!finished_) {
      watch_ = *w;
      return;
    }
  }
  (*w)->Stop();
}

void ObserveReactor::StopWatch() {
  std::shared_ptr<KeyWatch> w;
  {
    MutexLock l(&mu_);
    w = std::move(watch_);
  }
  if (w) w->Stop();
}

bool ObserveReactor::Send(pb::ResponseHeader h, const mvccpb::KeyValue& kv) {
  bool room;
  {
    MutexLock l(&mu_);
    if (finished_) return false;
    epb::LeaderResponse resp;
    *resp.mutable_header() = std::move(h);
    *resp.mutable_kv() = kv;
    queue_.push_back(std::move(resp));
    room = queue_.size() < kMaxQueued;
  }
  TryWrite();
  return room;
}

// The write starts under mu_, where DoFinish marks the stream finished before it calls Finish:
// started after the unlock, a watch answer's TryWrite (its thread holds the reactor past OnDone)
// could write on a call already gone, as WatchReactor::TryWrite did. gRPC never runs
// OnWriteDone inside StartWrite.
void ObserveReactor::TryWrite() {
  MutexLock l(&mu_);
  if (writing_ || finished_ || queue_.empty()) return;
  writing_ = true;
  StartWrite(&queue_.front());  // stays in place until OnWriteDone pops it
}

void ObserveReactor::OnWriteDone(bool ok) {
  if (!ok) {
    End(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
    return;
  }
  std::shared_ptr<KeyWatch> resume;
  {
    MutexLock l(&mu_);
    writing_ = false;
    queue_.pop_front();
    if (queue_.size() < kMaxQueued / 2) resume = watch_;
  }
  if (resume) resume->Resume();
  TryWrite();
}

void ObserveReactor::OnCancel() {
  End(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
}

void ObserveReactor::End(grpc::Status st) { finisher_->Finish(std::move(st)); }

void ObserveReactor::DoFinish(grpc::Status st) {
  std::shared_ptr<KeyWatch> w;
  {
    MutexLock l(&mu_);
    finished_ = true;
    w = std::move(watch_);
  }
  if (w) w->Stop();
  Finish(std::move(st));
}

void ObserveReactor::OnDone() {
  finisher_->Done();
  std::shared_ptr<ObserveReactor> self = std::move(self_);
  // `self` may be the last reference: a late read or watch answer holds only a weak_ptr.
}

}  // namespace etcdpp::server
