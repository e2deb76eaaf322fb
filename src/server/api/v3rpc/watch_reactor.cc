#include "server/api/v3rpc/watch_reactor.h"

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

#include "auth/errors.h"
#include "common/failpoint.h"
#include "server/api/v3rpc/views.h"
#include "server/api/v3rpc/watch_convert.h"
#include "server/api/v3rpc/watch_service.h"
#include "server/api/watch_fragment.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"
#include "server/test_hooks.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// Control answers the client has not read yet beyond which the stream stops reading requests.
constexpr size_t kMaxControlBacklog = 128;

// ETCDPP_TEST_WATCH_WRITE_DELAY_MS (test_hooks.h): nothing in other builds.
void DelayWriteForTest() {
  if (int ms = GetTestHooks().watch_write_delay_ms; ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
}

}  // namespace

WatchReactor::WatchReactor(Views v, const grpc::CallbackServerContext* ctx,
                           watch::WatchableStore* store, WatchDispatcher* d)
    : v_(v), ctx_(ctx), store_(store), dispatcher_(d) {}

WatchReactor* WatchReactor::Start(Views v, const grpc::CallbackServerContext* ctx,
                                  watch::WatchableStore* store, WatchDispatcher* d) {
  std::shared_ptr<WatchReactor> r(new WatchReactor(v, ctx, store, d));
  r->self_ = r;
  r->finisher_ = std::make_shared<StreamFinisher>(
      [raw = r.get()](grpc::Status st) { raw->DoFinish(std::move(st)); });
  std::weak_ptr<WatchReactor> weak = r;
  r->stream_ = std::make_unique<watch::WatchStream>(store, [weak, d] {
    d->Post([weak] {
      if (auto r = weak.lock()) r->TryWrite();
    });
  });
  r->StartRead(&r->req_);
  return r.get();
}

void WatchReactor::OnReadDone(bool ok) {
  // The client closed its side (or the call ended): keep sending until the call ends, as
  // etcd does after io.EOF.
  if (!ok) return;
  Handle(req_);
  {
    // Checked and flagged under mu_, as MaybeResumeReads checks them: a backlog that drains
    // in between cannot leave the reads paused for good.
    MutexLock l(&mu_);
    if (stream_->ControlBacklog() >= kMaxControlBacklog) {
      reads_paused_ = true;
      return;
    }
  }
  StartRead(&req_);
}

void WatchReactor::Handle(const pb::WatchRequest& req) {
  switch (req.request_union_case()) {
    case pb::WatchRequest::kCreateRequest:
      HandleCreate(req.create_request());
      break;
    case pb::WatchRequest::kCancelRequest:
      HandleCancel(req.cancel_request());
      break;
    case pb::WatchRequest::kProgressRequest:
      HandleProgress();
      break;
    default:
      break;  // etcd ignores requests it does not know
  }
}

void WatchReactor::HandleCreate(const pb::WatchCreateRequest& c) {
  watch::WatchOptions o;
  // etcd's recvLoop: an empty key is "\0", the smallest key; range_end "\0" means every key
  // >= key.
  o.range.key = c.key().empty() ? std::string(1, '\0') : c.key();
  if (c.range_end() == std::string(1, '\0')) {
    o.range.from_key = true;
  } else {
    o.range.end = c.range_end();
  }
  for (int f : c.filters()) {
    if (f == pb::WatchCreateRequest::NOPUT) o.no_put = true;
    if (f == pb::WatchCreateRequest::NODELETE) o.no_delete = true;
  }
  const int64_t wsrev = store_->kv().Rev();
  // etcd's isWatchPermitted: the stream's identity may read the whole watched range (checked
  // at creation). etcd 3.4 checks a from-key watch as its first key only; ours checks the
  // range it watches (docs/compatibility.md).
  absl::Status allowed;
  if (absl::StatusOr<auth::AuthInfo> ai = CallerOf(v_.auth, *ctx_); !ai.ok()) {
    allowed = ai.status();
  } else {
    allowed = v_.auth->store().CheckRead(*ai, o.range.key, c.range_end());
  }
  if (!allowed.ok()) {
    watch::Response r;
    r.watch_id = watch::kInvalidWatchId;
    r.revision = wsrev;
    r.created = true;
    r.canceled = true;
    // etcd's cancel reasons: its error texts; any other refusal is "permission denied".
    absl::Status shown = allowed;
    if (allowed.code() != absl::StatusCode::kUnauthenticated && !auth::IsAuthOldRevision(allowed) &&
        allowed.message() != auth::ErrUserEmpty().message()) {
      shown = auth::ErrPermissionDenied();
    }
    // etcd puts the whole gRPC error's text there ("rpc error: code = ... desc = ...").
    static constexpr const char* kCodeNames[] = {
        "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
        "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
        "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
        "DataLoss", "Unauthenticated"};
    grpc::Status g = ToGrpcStatus(shown);
    r.cancel_reason = absl::StrCat("rpc error: code = ", kCodeNames[g.error_code()],
                                   " desc = ", g.error_message());
    stream_->SendControl(std::move(r));
    return;
  }
  o.id = c.watch_id();
  o.start_rev = c.start_revision() == 0 ? wsrev + 1 : c.start_revision();
  o.progress_notify = c.progress_notify();
  o.prev_kv = c.prev_kv();
  o.fragment = c.fragment();
  o.header_rev = wsrev;
  auto id = stream_->Watch(o);
  if (id.ok()) return;  // the stream queued the created answer
  watch::Response r;
  r.watch_id = watch::kInvalidWatchId;
  r.revision = wsrev;
  r.created = true;
  r.canceled = true;
  r.cancel_reason = std::string(id.status().message());
  stream_->SendControl(std::move(r));
}

void WatchReactor::HandleCancel(const pb::WatchCancelRequest& c) {
  // etcd answers nothing when the id is unknown.
  if (!stream_->Cancel(c.watch_id()).ok()) return;
  watch::Response r;
  r.watch_id = c.watch_id();
  r.revision = store_->kv().Rev();
  r.canceled = true;
  stream_->SendControl(std::move(r));
}

void WatchReactor::HandleProgress() {
  // etcd 3.5: one answer for the whole stream, watch id -1, once its watchers are synced, at a
  // revision none of them is still to receive (3.4 answered at once, ahead of their events).
  stream_->RequestProgress();
}

bool WatchReactor::NextLocked(pb::WatchResponse* out) {
  if (fragments_.empty()) {
    std::optional<watch::Response> r = stream_->Next();
    if (!r.has_value()) return false;
    pb::WatchResponse resp = ToWatchResponse(*r, r->prev_kv, store_->kv());
    v_.member->FillHeader(resp.mutable_header());
    if (!r->fragment) {
      *out = std::move(resp);
      return true;
    }
    for (auto& f : Fragment(std::move(resp), v_.member->config().max_request_bytes)) {
      fragments_.push_back(std::move(f));
    }
  }
  *out = std::move(fragments_.front());
  fragments_.pop_front();
  return true;
}

// The write starts under mu_, where DoFinish marks the stream finished before it calls Finish:
// a write is either started before the Finish (gRPC completes it before OnDone) or not at all.
// Started after the unlock, a dispatcher's wake-up (which holds the reactor, so it can outlive
// OnDone) could start it after Finish, OnDone and the end of the call: a write on a gRPC stream
// object already destroyed ("pure virtual method called"). gRPC never runs OnWriteDone inside
// StartWrite, so holding mu_ here cannot deadlock.
void WatchReactor::TryWrite() {
  MutexLock l(&mu_);
  if (writing_ || finished_) return;
  if (!NextLocked(&out_)) return;
  writing_ = true;
  DelayWriteForTest();
  ETCDPP_FAILPOINT(beforeSendWatchResponse);
  StartWrite(&out_);
}

void WatchReactor::OnWriteDone(bool ok) {
  if (!ok) {
    // etcd counts a failed send unless the client went away (isClientCtxErr).
    if (!ctx_->IsCancelled()) Metrics::Get().StreamFailure("send", "watch");
    FinishOnce(grpc::Status::CANCELLED);
    return;
  }
  {
    MutexLock l(&mu_);
    writing_ = false;
  }
  MaybeResumeReads();
  TryWrite();
}

// As TryWrite: the read starts under mu_, so never after the Finish.
void WatchReactor::MaybeResumeReads() {
  MutexLock l(&mu_);
  if (!reads_paused_ || finished_ || stream_->ControlBacklog() >= kMaxControlBacklog / 2) {
    return;
  }
  reads_paused_ = false;
  StartRead(&req_);
}

void WatchReactor::FinishOnce(grpc::Status st) { finisher_->Finish(std::move(st)); }

void WatchReactor::DoFinish(grpc::Status st) {
  {
    MutexLock l(&mu_);
    finished_ = true;
  }
  Finish(std::move(st));
}

void WatchReactor::OnCancel() { FinishOnce(grpc::Status::CANCELLED); }

void WatchReactor::OnDone() {
  finisher_->Done();
  stream_->Close();  // the store stops sending before the reactor goes
  std::shared_ptr<WatchReactor> self = std::move(self_);
  // `self` may be the last reference: the reactor is destroyed here or by a late wake-up.
}

}  // namespace etcdpp::server
