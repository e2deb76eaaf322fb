#pragma once
// StreamForward: one call forwarded to the current member, for any message types. Two
// reactors share it: the server side (this class, facing the client) and UpCall (facing the
// member). A gRPC call of any kind is a stream of messages both ways ended by a status, so the
// same pair carries unary calls, server streams and bidi streams. Optional hooks rewrite each
// request on its way up and each response on its way down (--namespace, key_namespace.h).
//
// Invariants, under mu_: at most one of {a member read, a client write} and one of {a client
// read, a member write} is in flight, so the next message of one side is read only once the
// previous one was written to the other (a slow client holds back its own call alone);
// nothing is started on the member call once up_closing_ is set, and its hold is released only
// when up_closing_ is set with no member write in flight, so the member call's OnDone comes
// after the last operation started on it; the client's status is the member's, given in that
// OnDone. The object deletes itself when both sides are done.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/client_callback.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpcproxy/upstream.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::grpcproxy {

// The caller's metadata that goes up to the member (auth token, "hasleader", ...; not gRPC's
// own), sorted.
using Metadata = std::vector<std::pair<std::string, std::string>>;
Metadata ForwardedMetadata(const grpc::ServerContextBase& from);
// That metadata and the caller's deadline, for the call to the member.
void CopyCallContext(const grpc::ServerContextBase& from, grpc::ClientContext* to);
// The member's trailing metadata (not gRPC's own), for the client.
void CopyTrailers(const grpc::ClientContext& from, grpc::ServerContextBase* to);

// Counts calls as go-grpc-prometheus does (started, then handled with the code).
struct CallObserver {
  std::function<void(const std::string& method)> started;
  std::function<void(const std::string& method, int code)> handled;
};

template <typename Req, typename Resp>
class StreamForward : public grpc::ServerBidiReactor<Req, Resp> {
 public:
  struct Hooks {
    std::function<void(Req*)> request;    // null: unchanged
    std::function<void(Resp*)> response;  // null: unchanged
  };
  // method: the full name ("/etcdserverpb.Watch/Watch"). up and observer outlive the call.
  StreamForward(grpc::CallbackServerContext* ctx, std::string method, Upstream* up,
                const CallObserver* observer, Hooks hooks = {})
      : sctx_(ctx),
        method_(std::move(method)),
        up_(up),
        observer_(observer),
        hooks_(std::move(hooks)),
        upcall_(this) {
    if (observer_->started) observer_->started(method_);
    CopyCallContext(*ctx, &cctx_);
    channel_ = up_->Pick();
    grpc::TemplatedGenericStub<Req, Resp> stub(channel_);
    stub.PrepareBidiStreamingCall(&cctx_, method_, grpc::StubOptions(), &upcall_);
    upcall_.AddHold();  // released by MaybeRelease
    upcall_.StartRead(&from_member_);
    upcall_.StartCall();
    this->StartRead(&from_client_);
  }

  // Client -> proxy.
  void OnReadDone(bool ok) override {
    MutexLock l(&mu_);
    if (up_closing_) return;
    up_write_pending_ = true;
    if (ok) {
      if (hooks_.request) hooks_.request(&from_client_);
      upcall_.StartWrite(&from_client_);
    } else {
      upcall_.StartWritesDone();  // the client half-closed (or went away)
    }
  }

  // Proxy -> client.
  void OnWriteDone(bool ok) override {
    MutexLock l(&mu_);
    if (ok && !up_closing_) {
      upcall_.StartRead(&from_member_);
      return;
    }
    cctx_.TryCancel();  // the client is gone: so is the member call
    ReleaseUpstream();
  }

  void OnCancel() override { cctx_.TryCancel(); }
  void OnDone() override { Unref(); }

 private:
  class UpCall : public grpc::ClientBidiReactor<Req, Resp> {
   public:
    explicit UpCall(StreamForward* f) : f_(f) {}
    void OnReadDone(bool ok) override { f_->UpReadDone(ok); }
    void OnWriteDone(bool ok) override { f_->UpWriteDone(ok, /*writes_done=*/false); }
    void OnWritesDoneDone(bool ok) override { f_->UpWriteDone(ok, /*writes_done=*/true); }
    void OnDone(const grpc::Status& s) override { f_->UpDone(s); }

   private:
    StreamForward* const f_;
  };

  void UpReadDone(bool ok) {
    MutexLock l(&mu_);
    if (ok) {
      if (hooks_.response) hooks_.response(&from_member_);
      this->StartWrite(&from_member_);
    } else {
      ReleaseUpstream();  // the member finished: its status comes with UpDone
    }
  }

  void UpWriteDone(bool ok, bool writes_done) {
    MutexLock l(&mu_);
    up_write_pending_ = false;
    if (up_closing_) {
      MaybeRelease();
      return;
    }
    if (ok && !writes_done) this->StartRead(&from_client_);
  }

  void UpDone(const grpc::Status& s) {
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) up_->Failed(channel_);
    SPDLOG_DEBUG("forwarded {}: code {} {}", method_, static_cast<int>(s.error_code()),
                 s.error_message());  // --debug
    CopyTrailers(cctx_, sctx_);
    if (observer_->handled) observer_->handled(method_, s.error_code());
    this->Finish(s);
    Unref();
  }

  void ReleaseUpstream() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    up_closing_ = true;
    MaybeRelease();
  }
  void MaybeRelease() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (released_ || up_write_pending_) return;
    released_ = true;
    upcall_.RemoveHold();
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  // Constant after construction.
  grpc::CallbackServerContext* const sctx_;
  const std::string method_;
  Upstream* const up_;
  const CallObserver* const observer_;
  const Hooks hooks_;
  std::shared_ptr<grpc::Channel> channel_;  // shared: gRPC's channel type
  grpc::ClientContext cctx_;
  UpCall upcall_;

  // Each buffer is used by one operation at a time (the invariants above).
  Req from_client_;
  Resp from_member_;

  Mutex mu_;
  bool up_closing_ ABSL_GUARDED_BY(mu_) = false;
  bool up_write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> refs_{2};  // the server side's OnDone and the member side's OnDone
};

}  // namespace etcdpp::server::grpcproxy
