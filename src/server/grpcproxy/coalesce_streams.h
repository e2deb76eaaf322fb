#pragma once
// The two stream ends the proxy's coalescing services (watch_coalescer.h, lease_coalescer.h)
// are built from, for any request and response types:
//   - ClientBidi: a client's stream to the proxy. Requests go to OnRequest one at a time;
//     answers are queued by Post from any thread and written one at a time; a stream whose
//     unsent answers pass a byte bound is ended CANCELLED alone (a reader that does not keep
//     up never holds back the others).
//   - MemberBidi: the proxy's stream to a member, shared by many clients. Made under the
//     owner's lock, started (Go) and cancelled outside it: a call that fails at once may run
//     its reactions on the starting thread. Requests are queued by Send and written one at a
//     time; answers and the end go to a Sink.
//   - MemberLink: what a group of clients shares (a MemberBidi to the current member), opened
//     on first use; when it ends UNAVAILABLE (the member or the connection went away) the
//     next one goes to the next member (Upstream::Failed) after a back-off of 50 ms doubling
//     to 1 s, and the group resumes its work on it (Resume).
//   - GroupMap: the groups of a service, one per metadata the clients send up (auth token,
//     "hasleader", ...), which the member stream carries for all of them; a group goes when
//     its last client stream does.
// PendingCalls counts the member streams and back-off alarms whose callbacks have still to run,
// so that a service's destructor can wait for them.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "grpcpp/alarm.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/client_callback.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::grpcproxy {

class PendingCalls {
 public:
  void Hold() {
    MutexLock l(&mu_);
    ++n_;
  }
  void Release() {
    MutexLock l(&mu_);
    if (--n_ == 0) cv_.SignalAll();
  }
  void WaitNone() {
    MutexLock l(&mu_);
    while (n_ > 0) cv_.Wait(&mu_);
  }

 private:
  Mutex mu_;
  CondVar cv_;
  int n_ ABSL_GUARDED_BY(mu_) = 0;
};

// The key of the clients that may share member streams: the metadata they send up (auth
// token, "hasleader", ...), which the member stream carries for all of them.
inline std::string MetadataKey(const Metadata& md) {
  std::string key;
  for (const auto& [k, v] : md) {
    key.append(k).push_back('\0');
    key.append(v).push_back('\0');
  }
  return key;
}

// Whether a member stream that ended with `s` is worth opening again on the next member (the
// member went away, or the connection did), rather than an answer for its clients ("no leader"
// on a hasleader stream, an invalid token, ...).
inline bool RetryableEnd(const grpc::Status& s) {
  if (s.error_message() == "etcdserver: no leader") return false;
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

template <typename Req, typename Resp>
class ClientBidi : public grpc::ServerBidiReactor<Req, Resp> {
 public:
  // method: the full name, for the observer; max_queued: the byte bound of unsent answers.
  ClientBidi(std::string method, const CallObserver* observer, size_t max_queued)
      : method_(std::move(method)), observer_(observer), max_queued_(max_queued) {
    if (observer_->started) observer_->started(method_);
  }
  void Begin() { this->StartRead(&req_); }

  void Post(Resp r) {
    MutexLock l(&mu_);
    if (finished_) return;
    const size_t size = r.ByteSizeLong();
    queued_bytes_ += size;
    queue_.push_back({std::move(r), size});
    if (queued_bytes_ > max_queued_) {
      SPDLOG_WARN("grpc-proxy: a {} stream's unsent answers passed {} bytes; ending it", method_,
                  max_queued_);
      EndLocked(grpc::Status(grpc::StatusCode::CANCELLED,
                             "grpc-proxy: the stream does not read its answers fast enough"));
      return;
    }
    WriteNextLocked();
  }
  // Ends the stream with `s` (once; later ends and posts are dropped).
  void End(const grpc::Status& s) {
    MutexLock l(&mu_);
    EndLocked(s);
  }
  bool Ended() {
    MutexLock l(&mu_);
    return finished_;
  }

  void OnReadDone(bool ok) override {
    // The client closed its side (or the call ended): keep sending until the call ends, as a
    // member does.
    if (!ok) return;
    OnRequest(req_);
    MutexLock l(&mu_);
    if (!finished_) this->StartRead(&req_);
  }
  void OnWriteDone(bool ok) override {
    MutexLock l(&mu_);
    writing_ = false;
    if (!ok) {
      EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));  // client gone
      return;
    }
    WriteNextLocked();
  }
  void OnCancel() override { End(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled")); }
  void OnDone() override {
    OnStreamDone();
    delete this;
  }

 protected:
  ~ClientBidi() override = default;
  // One client request (on gRPC's thread, one at a time).
  virtual void OnRequest(const Req& req) = 0;
  // The call is over: nothing may Post to this stream after this returns.
  virtual void OnStreamDone() = 0;

 private:
  void EndLocked(const grpc::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    if (observer_->handled) observer_->handled(method_, s.error_code());
    this->Finish(s);
  }
  // gRPC never runs OnWriteDone inside StartWrite on a server stream (the member's watch
  // stream relies on the same), so the write starts under mu_.
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || queue_.empty()) return;
    out_ = std::move(queue_.front().resp);
    queued_bytes_ -= std::min(queued_bytes_, queue_.front().size);
    queue_.pop_front();
    writing_ = true;
    this->StartWrite(&out_);
  }

  const std::string method_;
  const CallObserver* const observer_;
  const size_t max_queued_;
  Req req_;  // one read at a time

  Mutex mu_;
  struct Queued {
    Resp resp;
    size_t size;  // its bytes, computed once
  };
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  Resp out_ ABSL_GUARDED_BY(mu_);  // being written while writing_
};

template <typename Req, typename Resp>
class MemberBidi : public grpc::ClientBidiReactor<Req, Resp> {
 public:
  class Sink {
   public:
    virtual void MemberRead(MemberBidi* m, const Resp& r) = 0;
    virtual void MemberDone(MemberBidi* m, const grpc::Status& s) = 0;

   protected:
    ~Sink() = default;
  };

  // A call of `method` on the current member with `md`; kept alive by itself until OnDone.
  static std::shared_ptr<MemberBidi> Make(Upstream* up, std::shared_ptr<PendingCalls> pending,
                                          std::shared_ptr<Sink> sink, const std::string& method,
                                          const Metadata& md) {
    std::shared_ptr<MemberBidi> m(new MemberBidi(std::move(pending), std::move(sink)));
    m->self_ = m;
    m->pending_->Hold();  // released in OnDone
    for (const auto& [k, v] : md) m->ctx_.AddMetadata(k, v);
    m->channel_ = up->Pick();
    grpc::TemplatedGenericStub<Req, Resp> stub(m->channel_);
    stub.PrepareBidiStreamingCall(&m->ctx_, method, grpc::StubOptions(), m.get());
    return m;
  }
  void Go() {
    this->AddHold();  // until the reads end: writes start outside reactions
    this->StartRead(&in_);
    this->StartCall();
  }
  void Cancel() { ctx_.TryCancel(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Queues a request. The write starts after the unlock: the front of a deque stays where it
  // is while others are pushed.
  void Send(Req r) {
    Req* next;
    {
      MutexLock l(&mu_);
      if (done_) return;
      out_.push_back(std::move(r));
      next = NextLocked();
    }
    if (next != nullptr) this->StartWrite(next);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      sink_->MemberRead(this, in_);
      this->StartRead(&in_);
      return;
    }
    {
      MutexLock l(&mu_);
      done_ = true;
    }
    this->RemoveHold();
  }
  void OnWriteDone(bool ok) override {
    Req* next;
    {
      MutexLock l(&mu_);
      writing_ = false;
      out_.pop_front();
      if (!ok) {
        done_ = true;  // the stream broke; the failed read reports it
        return;
      }
      next = NextLocked();
    }
    if (next != nullptr) this->StartWrite(next);
  }
  void OnDone(const grpc::Status& s) override {
    std::shared_ptr<MemberBidi> keep = std::move(self_);  // this goes with it, at the return
    sink_->MemberDone(this, s);
    pending_->Release();
  }

 private:
  MemberBidi(std::shared_ptr<PendingCalls> pending, std::shared_ptr<Sink> sink)
      : pending_(std::move(pending)), sink_(std::move(sink)) {}
  Req* NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || out_.empty()) return nullptr;
    writing_ = true;
    return &out_.front();
  }

  const std::shared_ptr<PendingCalls> pending_;
  const std::shared_ptr<Sink> sink_;
  std::shared_ptr<grpc::Channel> channel_;  // shared: gRPC's channel type
  grpc::ClientContext ctx_;
  Resp in_;                           // one read at a time
  std::shared_ptr<MemberBidi> self_;  // until OnDone

  Mutex mu_;
  std::deque<Req> out_ ABSL_GUARDED_BY(mu_);  // the front is written while writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;  // no write starts any more
};

template <typename Req, typename Resp>
class MemberLink : public MemberBidi<Req, Resp>::Sink,
                   public std::enable_shared_from_this<MemberLink<Req, Resp>> {
 public:
  using Stream = MemberBidi<Req, Resp>;

  // What a closed group leaves to cancel, after the unlock (a cancelled call or alarm may run
  // its callback at once).
  struct Closing {
    std::shared_ptr<Stream> member;
    grpc::Alarm* alarm =
        nullptr;  // a back-off in progress (the group, kept by the caller, owns it)
    void Cancel() {
      if (member) member->Cancel();
      if (alarm != nullptr) alarm->Cancel();  // its callback runs with ok = false
    }
  };

 protected:
  static constexpr std::chrono::milliseconds kMinBackoff{50};
  static constexpr std::chrono::milliseconds kMaxBackoff{1000};

  MemberLink(Upstream* up, std::shared_ptr<PendingCalls> pending, std::string method, Metadata md)
      : up_(up), pending_(std::move(pending)), method_(std::move(method)), md_(std::move(md)) {}
  ~MemberLink() = default;

  // The group's work again on a new member stream (under mu_, Member() is not null).
  virtual void Resume() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) = 0;

  // The member stream, made when there is none and no back-off runs (null while it runs or once
  // closed). A new one waits in to_start_ for StartMade, after the unlock.
  Stream* Member() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (member_ == nullptr && !alarm_pending_ && !closed_) {
      member_ = Stream::Make(up_, pending_, this->shared_from_this(), method_, md_);
      to_start_ = member_;
    }
    return member_.get();
  }
  void StartMade() ABSL_LOCKS_EXCLUDED(mu_) {
    std::shared_ptr<Stream> m;
    {
      MutexLock l(&mu_);
      m = std::move(to_start_);
    }
    if (m) m->Go();
  }
  // Whether `m` is the open member stream (a stream the group left reports nothing).
  bool Current(Stream* m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !closed_ && m != nullptr && m == member_.get();
  }
  // The member answered: the next failure backs off from the start.
  void Healthy() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { backoff_ = kMinBackoff; }
  // The current stream ended with `s` (RetryableEnd): forgets it; when `reopen`, a new one opens
  // after the back-off.
  void Down(Stream* m, const grpc::Status& s, bool reopen) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    member_.reset();
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) up_->Failed(m->channel());
    if (!reopen || closed_ || alarm_pending_) return;
    alarm_pending_ = true;
    alarm_ = std::make_unique<grpc::Alarm>();
    pending_->Hold();  // released by Reconnect
    alarm_->Set(std::chrono::system_clock::now() + backoff_,
                [self = this->shared_from_this()](bool ok) { self->Reconnect(ok); });
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }
  Closing CloseLink() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    closed_ = true;
    Closing c;
    c.member = std::move(member_);
    if (alarm_pending_) c.alarm = alarm_.get();
    return c;
  }

  Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

 private:
  void Reconnect(bool ok) {
    {
      MutexLock l(&mu_);
      alarm_pending_ = false;
      if (ok && Member() != nullptr) Resume();
    }
    StartMade();
    pending_->Release();
  }

  Upstream* const up_;
  const std::shared_ptr<PendingCalls> pending_;
  const std::string method_;
  const Metadata md_;
  std::shared_ptr<Stream> member_ ABSL_GUARDED_BY(mu_);    // null: none open
  std::shared_ptr<Stream> to_start_ ABSL_GUARDED_BY(mu_);  // made, not started yet
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::chrono::milliseconds backoff_ ABSL_GUARDED_BY(mu_) = kMinBackoff;
};

// G: a group with `const std::string& key()`, `typename G::Closing Close()` and
// `bool RemoveStream(S*)` (true when no stream is left).
template <typename G>
class GroupMap {
 public:
  // The group of `md` (made by `make(key, md)` if there is none), with `add(group)` run under
  // the map's lock so that the group cannot go in between.
  template <typename Make, typename Add>
  std::shared_ptr<G> Enter(Metadata md, const Make& make, const Add& add) {
    std::string key = MetadataKey(md);
    MutexLock l(&mu_);
    std::shared_ptr<G>& g = groups_[key];
    if (g == nullptr) g = make(key, std::move(md));
    add(g.get());
    return g;
  }
  // A client stream of `g` is done; the group closes when it was the last.
  template <typename S>
  void Leave(const std::shared_ptr<G>& g, S* s) {
    typename G::Closing closing;
    {
      MutexLock l(&mu_);
      if (!g->RemoveStream(s)) return;
      auto it = groups_.find(g->key());
      if (it != groups_.end() && it->second == g) groups_.erase(it);
      closing = g->Close();
    }
    closing.Cancel();  // g, the caller's, keeps the alarm alive
  }
  // Closes every group and waits for their member streams and alarms (the service is going;
  // its client streams are gone).
  void CloseAll(PendingCalls* pending) {
    std::vector<std::pair<std::shared_ptr<G>, typename G::Closing>> closing;
    {
      MutexLock l(&mu_);
      for (auto& [key, g] : groups_) closing.emplace_back(g, g->Close());
      groups_.clear();
    }
    for (auto& [g, c] : closing) c.Cancel();
    closing.clear();
    pending->WaitNone();
  }

 private:
  Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<G>> groups_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server::grpcproxy
