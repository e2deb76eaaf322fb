#include "server/rafthttp/peer_sender.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/match.h"
#include "common/error_id.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"
#include "server/rafthttp/peer_codec.h"
#include "server/tls/peer_tls.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace {

constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
constexpr size_t kMaxBatchMessages = 512;

std::shared_ptr<grpc::Channel> NewPeerChannel(const std::string& url) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // Our own back-off decides when to reconnect: a fresh channel each time, never one that
  // gRPC keeps in a long reconnect back-off after the peer was down.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return grpc::CreateCustomChannel(GrpcTargetOfUrl(url), tls::PeerChannelCredentials(url), args);
}

bool HasSnapshot(const std::vector<raft::Message>& batch) {
  return std::any_of(batch.begin(), batch.end(),
                     [](const raft::Message& m) { return m.type == raft::MessageType::kSnap; });
}

}  // namespace

std::string GrpcTargetOfUrl(const std::string& url) {
  size_t p = url.find("://");
  std::string rest = p == std::string::npos ? url : url.substr(p + 3);
  size_t slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  // unix://etcd.unix:1 is the socket file etcd.unix:1 (gRPC's unix: target, relative or not).
  if (p != std::string::npos && url.compare(0, p, "unix") == 0) return "unix:" + rest;
  return rest;
}

PeerSender::PeerSender(Options opts, Hooks hooks)
    : local_id_(opts.local_id),
      cluster_id_(opts.cluster_id),
      peer_id_(opts.peer_id),
      queue_limit_(opts.queue_limit),
      hooks_(std::move(hooks)) {
  MutexLock l(loop_.mu());
  urls_ = std::move(opts.peer_urls);
}

PeerSender::~PeerSender() { Stop(); }

void PeerSender::Start() {
  loop_.Start("etcdpp-sender", [this] { Loop(); });
}

void PeerSender::Stop() {
  {
    MutexLock l(loop_.mu());
    loop_.MarkStopping();  // under the same lock as the cancel of a blocked write
    if (ctx_) ctx_->TryCancel();
  }
  loop_.Stop();
}

void PeerSender::Send(raft::Message m) {
  {
    MutexLock l(loop_.mu());
    if (queue_.size() >= queue_limit_) {
      Metrics::Get().PeerSendFailed(peer_id_);
      if (dropped_++ % 1000 == 0) {
        SPDLOG_WARN("dropped raft message to peer {:x}: the send queue is full", peer_id_);
      }
      return;
    }
    queue_.push_back(std::move(m));
  }
  loop_.Signal();
}

void PeerSender::UpdateUrls(std::vector<std::string> urls) {
  MutexLock l(loop_.mu());
  if (urls == urls_) return;  // the same URLs: keep the working stream (and its active time)
  urls_ = std::move(urls);
  urls_changed_ = true;
  if (ctx_) ctx_->TryCancel();
}

bool PeerSender::active() const {
  MutexLock l(loop_.mu());
  return active_;
}

std::chrono::steady_clock::time_point PeerSender::active_since() const {
  MutexLock l(loop_.mu());
  return active_ ? active_since_ : std::chrono::steady_clock::time_point();
}

void PeerSender::SetActive(bool active) {
  MutexLock l(loop_.mu());
  if (active && !active_) active_since_ = std::chrono::steady_clock::now();
  // etcd's peerStatus activate / deactivate.
  if (active != active_) Metrics::Get().PeerActive(local_id_, peer_id_, active);
  active_ = active;
}

void PeerSender::Loop() {
  for (;;) {
    bool stopping = false;
    std::vector<raft::Message> batch = TakeBatch(&stopping);
    if (stopping) break;
    if (hooks_.is_cut && hooks_.is_cut(peer_id_)) {  // test fault: the wire eats it
      SetActive(false);
      continue;
    }
    if (EnsureStream() && WriteBatch(batch)) {
      backoff_ = std::chrono::milliseconds(0);
      if (HasSnapshot(batch) && hooks_.on_snapshot_sent) hooks_.on_snapshot_sent(peer_id_, false);
      continue;
    }
    CloseStream(/*cancel=*/false);  // the stream is over: Finish returns its real status
    Failed(batch);
    backoff_ = std::clamp(backoff_ * 2, kMinBackoff, kMaxBackoff);
    MutexLock l(loop_.mu());
    (void)loop_.SleepFor(backoff_);  // a stop is seen by TakeBatch
    queue_.clear();                  // stale by now: Raft resends what matters
  }
  CloseStream();
}

// Waits for messages; returns up to kMaxBatchMessages of them, or none when stopping.
std::vector<raft::Message> PeerSender::TakeBatch(bool* stopping) {
  std::vector<raft::Message> batch;
  MutexLock l(loop_.mu());
  const auto idle_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!loop_.stopping() && queue_.empty() && loop_.WaitUntil(idle_until)) {
  }
  *stopping = loop_.stopping();
  if (*stopping) return batch;
  size_t n = std::min(queue_.size(), kMaxBatchMessages);
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

bool PeerSender::EnsureStream() {
  if (writer_) return true;
  std::string url;
  auto ctx = std::make_unique<grpc::ClientContext>();
  {
    MutexLock l(loop_.mu());
    if (loop_.stopping() || urls_.empty()) return false;
    if (urls_changed_) stub_.reset();
    urls_changed_ = false;
    url = urls_[url_index_++ % urls_.size()];
  }
  if (!stub_) stub_ = internalpb::Peer::NewStub(NewPeerChannel(url));
  grpc::ClientContext* raw_ctx = ctx.get();
  {
    MutexLock l(loop_.mu());
    // A Stop since the check above cancelled no context of this stream: do not start it.
    if (loop_.stopping()) return false;
    ctx_ = std::move(ctx);
  }
  writer_ = stub_->Stream(raw_ctx, &ack_);
  return writer_ != nullptr;
}

bool PeerSender::WriteBatch(const std::vector<raft::Message>& batch) {
  internalpb::PeerBatch pb;
  pb.set_cluster_id(cluster_id_);
  pb.set_from(local_id_);
  for (const raft::Message& m : batch) EncodeRaftMessage(m, pb.add_messages());
  bool ok = writer_->Write(pb);
  if (ok) Metrics::Get().PeerSent(peer_id_, pb.ByteSizeLong());
  SetActive(ok);
  return ok;
}

void PeerSender::CloseStream(bool cancel) {
  if (writer_) {
    if (cancel) {
      MutexLock l(loop_.mu());
      if (ctx_) ctx_->TryCancel();
    }
    grpc::Status st = writer_->Finish();
    std::optional<absl::Status> answered = FromPeerGrpcStatus(st);
    if (answered.has_value() && HasErrorId(*answered, kMemberRemovedId) && hooks_.on_removed) {
      hooks_.on_removed();
    }
    if (st.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      // The member refused our certificate (--peer-cert-allowed-cn/-hostname,
      // tls/grpc_credentials.cc): etcd's dialer reports the TLS alert it gets in that case.
      SPDLOG_WARN("failed to dial {:x} on stream Message (remote error: tls: bad certificate: {})",
                  peer_id_, st.error_message());
    } else if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) {
      SPDLOG_DEBUG("peer {:x} stream closed: {}", peer_id_, st.error_message());
    }
    writer_.reset();
  }
  stub_.reset();  // a fresh channel (and connection) next time
  {
    MutexLock l(loop_.mu());
    ctx_.reset();
  }
  SetActive(false);
}

void PeerSender::Failed(const std::vector<raft::Message>& batch) {
  for (size_t i = 0; i < batch.size(); ++i) Metrics::Get().PeerSendFailed(peer_id_);
  if (hooks_.on_unreachable) hooks_.on_unreachable(peer_id_);
  if (HasSnapshot(batch) && hooks_.on_snapshot_sent) hooks_.on_snapshot_sent(peer_id_, true);
}

std::shared_ptr<grpc::Channel> NewPeerChannelTo(const std::string& url) {
  return NewPeerChannel(url);
}

}  // namespace etcdpp::server
