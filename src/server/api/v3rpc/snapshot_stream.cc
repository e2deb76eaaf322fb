#include "server/api/v3rpc/snapshot_stream.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "backend/bbolt/sink.h"
#include "common/status.h"
#include "server/api/v3rpc/views.h"
#include "server/errors.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// One Snapshot call. Run() (on the producer thread) owns the export; the gRPC callbacks only
// report write completions and cancellation. After Run calls Finish it touches nothing of this
// object: OnDone deletes it.
class SnapshotStream final : public grpc::ServerWriteReactor<pb::SnapshotResponse> {
 public:
  explicit SnapshotStream(const MaintenanceView* view) : view_(view) {}

  void Run() {
    absl::Status st = view_->WriteSnapshot([this](uint64_t n) { total_ = n; },
                                           [this](std::string_view d) { return Append(d); });
    if (st.ok() && !chunk_.empty()) st = Send(std::move(chunk_));
    if (st.ok()) {
      const std::array<uint8_t, 32> digest = sha_.Finish();
      remaining_override_ = true;
      st = Send(std::string(reinterpret_cast<const char*>(digest.data()), digest.size()));
    }
    Finish(st.ok() ? grpc::Status::OK : ToGrpcStatus(st));
  }

  void OnWriteDone(bool ok) override {
    MutexLock l(&mu_);
    in_flight_ = false;
    write_failed_ = write_failed_ || !ok;
    cv_.SignalAll();
  }
  void OnDone() override { delete this; }

 private:
  // The sink of the export: fills the message, sends it when full.
  absl::Status Append(std::string_view d) {
    sha_.Update(d);
    while (!d.empty()) {
      const size_t n = std::min(d.size(), kSnapshotChunkBytes - chunk_.size());
      chunk_.append(d.data(), n);
      d.remove_prefix(n);
      if (chunk_.size() == kSnapshotChunkBytes) {
        RETURN_NOT_OK(Send(std::move(chunk_)));
        chunk_.clear();
      }
    }
    return absl::OkStatus();
  }

  // Writes one message and waits until gRPC is done with it.
  absl::Status Send(std::string blob) {
    if (!remaining_override_) sent_ += blob.size();
    resp_.set_remaining_bytes(remaining_override_ || sent_ >= total_ ? 0 : total_ - sent_);
    resp_.set_blob(std::move(blob));
    {
      MutexLock l(&mu_);
      if (write_failed_) return absl::CancelledError("snapshot: the call was cancelled");
      in_flight_ = true;
    }
    StartWrite(&resp_);
    MutexLock l(&mu_);
    while (in_flight_) cv_.Wait(&mu_);
    if (write_failed_) return absl::CancelledError("snapshot: the call was cancelled");
    return absl::OkStatus();
  }

  const MaintenanceView* const view_;
  // Producer thread only.
  uint64_t total_ = 0;
  uint64_t sent_ = 0;
  bool remaining_override_ = false;  // the digest message: remaining_bytes 0
  std::string chunk_;
  backend::bbolt::Sha256 sha_;
  pb::SnapshotResponse resp_;  // the message being written; untouched until OnWriteDone

  Mutex mu_;
  CondVar cv_;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;  // a write failed: the call is cancelled
};

// A call that ends at once with an error.
class RefusedStream final : public grpc::ServerWriteReactor<pb::SnapshotResponse> {
 public:
  explicit RefusedStream(grpc::Status st) { Finish(std::move(st)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<pb::SnapshotResponse>* SnapshotStreams::Refuse(grpc::Status st) {
  return new RefusedStream(std::move(st));
}

SnapshotStreams::~SnapshotStreams() {
  MutexLock l(&mu_);
  for (Producer& p : producers_) p.thread.join();
  producers_.clear();
}

void SnapshotStreams::Reap() {
  for (auto it = producers_.begin(); it != producers_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = producers_.erase(it);
    } else {
      ++it;
    }
  }
}

grpc::ServerWriteReactor<pb::SnapshotResponse>* SnapshotStreams::Start() {
  auto* stream = new SnapshotStream(view_);
  auto done = std::make_shared<std::atomic<bool>>(false);
  MutexLock l(&mu_);
  Reap();
  producers_.push_back(Producer{std::thread([stream, done] {
                                  pthread_setname_np(pthread_self(), "etcdpp-snapshot");
                                  stream->Run();
                                  done->store(true);
                                }),
                                done});
  return stream;
}

}  // namespace etcdpp::server
