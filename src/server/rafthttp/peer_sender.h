#pragma once
// PeerSender: the outgoing half of the peer transport for one remote member. The Raft node
// thread hands it messages through Send(), which never blocks: they go to a bounded queue, and
// a full queue drops (Raft retransmits). The sender thread drains the queue in batches onto
// one long-lived gRPC client stream (Peer.Stream); a failed stream is torn down, the peer is
// reported unreachable, and the next connection attempt waits a doubling back-off.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/loop_thread.h"
#include "common/mutex.h"
#include "grpcpp/grpcpp.h"
#include "internalpb/peer.grpc.pb.h"
#include "raft/types.h"

namespace etcdpp::server {

class PeerSender {
 public:
  struct Options {
    uint64_t local_id = 0;
    uint64_t cluster_id = 0;
    uint64_t peer_id = 0;
    std::vector<std::string> peer_urls;  // "http://host:port"
    size_t queue_limit = 4096;           // messages
  };
  struct Hooks {
    // The peer could not be reached (a send failed); runs on the sender thread.
    std::function<void(uint64_t peer)> on_unreachable;
    // A snapshot message to the peer was delivered (failure == false) or lost.
    std::function<void(uint64_t peer, bool failure)> on_snapshot_sent;
    // True while a test fault switch cuts traffic to the peer.
    std::function<bool(uint64_t peer)> is_cut;
    // The peer refused our stream because this member was removed from the cluster.
    std::function<void()> on_removed;
  };

  PeerSender(Options opts, Hooks hooks);
  ~PeerSender();

  void Start();
  void Stop();  // cancels a blocked write and joins

  // Non-blocking; drops the message when the queue is full.
  void Send(raft::Message m);
  void UpdateUrls(std::vector<std::string> urls);
  // True when the last write succeeded (for health reporting).
  bool active() const;
  // Since when writes have been succeeding without a break (etcd's ActiveSince); the zero
  // time_point while inactive.
  std::chrono::steady_clock::time_point active_since() const;

 private:
  void Loop();  // the sender thread
  // Up to kMaxBatchMessages queued messages; none after a second without any (the empty batch
  // keeps the stream up, as etcd's streams stay connected to every peer); *stopping on stop.
  std::vector<raft::Message> TakeBatch(bool* stopping);
  bool EnsureStream();
  bool WriteBatch(const std::vector<raft::Message>& batch);
  void CloseStream(bool cancel = true);  // cancel: the stream may still be live
  void Failed(const std::vector<raft::Message>& batch);
  void SetActive(bool active);

  // Constant after construction.
  const uint64_t local_id_;
  const uint64_t cluster_id_;
  const uint64_t peer_id_;
  const size_t queue_limit_;
  const Hooks hooks_;

  // Sender thread only.
  std::unique_ptr<internalpb::Peer::Stub> stub_;
  std::unique_ptr<grpc::ClientWriter<internalpb::PeerBatch>> writer_;
  internalpb::PeerAck ack_;
  std::chrono::milliseconds backoff_{0};
  size_t url_index_ = 0;

  LoopThread loop_;  // runs Loop(), the sender thread; its mu() guards what follows
  std::deque<raft::Message> queue_ ABSL_GUARDED_BY(loop_.mu());
  std::vector<std::string> urls_ ABSL_GUARDED_BY(loop_.mu());
  bool urls_changed_ ABSL_GUARDED_BY(loop_.mu()) = false;
  std::unique_ptr<grpc::ClientContext> ctx_ ABSL_GUARDED_BY(loop_.mu());  // of the open stream
  bool active_ ABSL_GUARDED_BY(loop_.mu()) = false;
  std::chrono::steady_clock::time_point active_since_ ABSL_GUARDED_BY(loop_.mu());
  uint64_t dropped_ ABSL_GUARDED_BY(loop_.mu()) = 0;
};

// "http://127.0.0.1:2380" -> "127.0.0.1:2380" (the gRPC target).
std::string GrpcTargetOfUrl(const std::string& url);

// A channel to a peer URL as the senders make them (credentials, keepalive, own pool).
std::shared_ptr<grpc::Channel> NewPeerChannelTo(const std::string& url);

}  // namespace etcdpp::server
