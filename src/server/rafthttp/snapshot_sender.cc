#include "server/rafthttp/snapshot_sender.h"

#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "internalpb/snap.grpc.pb.h"
#include "server/rafthttp/peer_codec.h"
#include "server/rafthttp/peer_sender.h"
#include "server/snap/snap_metrics.h"
#include "server/tls/peer_tls.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace {

constexpr size_t kChunkBytes = 1 << 20;
// A transfer that cannot finish in this long fails (raft retries with a fresh one).
constexpr std::chrono::minutes kTransferDeadline{10};

// Reads up to n bytes from fd, retrying short reads; 0 at EOF, -1 on error.
ssize_t ReadFull(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace

SnapshotSender::SnapshotSender(uint64_t local_id, uint64_t cluster_id, Hooks hooks)
    : local_id_(local_id), cluster_id_(cluster_id), hooks_(std::move(hooks)) {}

SnapshotSender::~SnapshotSender() { Stop(); }

void SnapshotSender::Send(raft::Message m) {
  MutexLock l(&mu_);
  if (stopped_) return;
  JoinFinishedLocked();
  if (transfers_.contains(m.to)) return;  // one at a time per follower
  auto ctx = std::make_shared<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + kTransferDeadline);
  Transfer& t = transfers_[m.to];
  t.ctx = ctx;
  t.thread = std::thread([this, m = std::move(m), ctx]() mutable { Run(std::move(m), ctx); });
}

void SnapshotSender::Stop() {
  std::map<uint64_t, Transfer> transfers;
  {
    MutexLock l(&mu_);
    stopped_ = true;
    for (auto& [id, t] : transfers_) t.ctx->TryCancel();
    transfers.swap(transfers_);
  }
  for (auto& [id, t] : transfers) {
    if (t.thread.joinable()) t.thread.join();
  }
}

void SnapshotSender::JoinFinishedLocked() {
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (!it->second.done) {
      ++it;
      continue;
    }
    it->second.thread.join();  // it is past its last statement that needs mu_
    it = transfers_.erase(it);
  }
}

void SnapshotSender::Run(raft::Message m, std::shared_ptr<grpc::ClientContext> ctx) {
  const uint64_t to = m.to;
  const uint64_t index = m.snapshot.metadata.index;
  SPDLOG_INFO("sending database snapshot to member {:x} (snapshot index {})", to, index);
  absl::Time start = absl::Now();
  uint64_t bytes = 0;
  snap_metrics::SendStarted(to);
  absl::Status st = Stream(m, ctx.get(), &bytes);
  snap_metrics::Sent(to, st.ok(), absl::Now() - start);
  if (st.ok()) {
    SPDLOG_INFO("sent database snapshot to member {:x} (snapshot index {}, {} bytes, {:.3f} s)", to,
                index, bytes, absl::ToDoubleSeconds(absl::Now() - start));
  } else {
    SPDLOG_WARN("failed to send database snapshot to member {:x}: {}", to, st.ToString());
  }
  hooks_.report(to, !st.ok());
  MutexLock l(&mu_);
  auto it = transfers_.find(to);
  if (it != transfers_.end()) it->second.done = true;
}

absl::Status SnapshotSender::Stream(const raft::Message& m, grpc::ClientContext* ctx,
                                    uint64_t* bytes) {
  std::vector<std::string> urls = hooks_.peer_urls(m.to);
  if (urls.empty()) return absl::NotFoundError("no peer URL");
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub = internalpb::PeerSnapshot::NewStub(grpc::CreateCustomChannel(
      GrpcTargetOfUrl(urls[0]), tls::PeerChannelCredentials(urls[0]), args));
  internalpb::SnapshotAck ack;
  std::unique_ptr<grpc::ClientWriter<internalpb::SnapshotChunk>> writer = stub->Send(ctx, &ack);
  internalpb::SnapshotChunk first;
  first.set_cluster_id(cluster_id_);
  EncodeRaftMessage(m, first.mutable_message());
  bool ok = writer->Write(first);

  int fds[2];
  if (::pipe(fds) != 0) return absl::InternalError("pipe failed");
  absl::Status copy_status;
  std::thread copier([&] {
    copy_status = hooks_.copy_db(fds[1]);
    ::close(fds[1]);
  });
  std::string buf(kChunkBytes, '\0');
  uint32_t crc = 0;
  while (ok) {
    ssize_t n = ReadFull(fds[0], buf.data(), buf.size());
    if (n <= 0) break;
    internalpb::SnapshotChunk c;
    c.set_data(buf.data(), static_cast<size_t>(n));
    crc = crc32c::Extend(crc, buf.data(), static_cast<size_t>(n));
    *bytes += static_cast<uint64_t>(n);
    ok = writer->Write(c);  // flow-controlled: waits while the follower is slow
  }
  ::close(fds[0]);  // a copier still writing gets EPIPE and stops
  copier.join();
  if (ok && copy_status.ok()) {
    internalpb::SnapshotChunk last;
    last.set_last(true);
    last.set_crc(crc);
    ok = writer->Write(last) && writer->WritesDone();
  } else {
    ctx->TryCancel();
  }
  grpc::Status gs = writer->Finish();
  RETURN_NOT_OK(copy_status);
  if (!gs.ok()) return absl::UnavailableError(absl::StrCat("peer: ", gs.error_message()));
  if (!ok) return absl::UnavailableError("stream broken");
  return absl::OkStatus();
}

}  // namespace etcdpp::server
