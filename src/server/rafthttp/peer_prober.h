#pragma once
// PeerProber: etcd_network_peer_round_trip_time_seconds. etcd's rafthttp probes every peer over
// HTTP and reports the smoothed round trip per peer; here one thread calls the cheap unary
// Peer.Members RPC on each peer every `interval` and observes the time it took (label To = the
// peer's id in hex, as etcd). A peer that does not answer within the deadline is skipped.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "grpcpp/grpcpp.h"
#include "internalpb/peer.grpc.pb.h"

namespace etcdpp::server {

class PeerProber {
 public:
  using ChannelFactory = std::function<std::shared_ptr<grpc::Channel>(const std::string& url)>;

  explicit PeerProber(ChannelFactory channels, absl::Duration interval = absl::Seconds(2))
      : channels_(std::move(channels)), interval_(interval) {}
  ~PeerProber() { Stop(); }

  void Start();
  void Stop();  // cancels a probe in flight and joins; idempotent
  void SetPeer(uint64_t id, std::vector<std::string> urls);  // adds or updates
  void RemovePeer(uint64_t id);

 private:
  struct Target {
    std::string url;  // the first of the peer's URLs
    std::unique_ptr<internalpb::Peer::Stub> stub;
  };
  void Loop();
  void ProbeOne(uint64_t id, Target* t);

  const ChannelFactory channels_;
  const absl::Duration interval_;

  LoopThread loop_;  // runs Loop(); its mu() guards what follows
  std::map<uint64_t, std::string> urls_ ABSL_GUARDED_BY(loop_.mu());  // peer -> URL to probe
  grpc::ClientContext* in_flight_ ABSL_GUARDED_BY(loop_.mu()) = nullptr;

  std::map<uint64_t, Target> targets_;  // Loop thread only
};

}  // namespace etcdpp::server
