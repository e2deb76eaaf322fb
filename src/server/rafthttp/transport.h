#pragma once
// Transport: the peer side of a member (--listen-peer-urls). Outgoing: one PeerSender per
// remote member (bounded queue, batching, reconnect with back-off), so the Raft node thread
// never blocks on a slow or dead peer. Incoming: the Peer gRPC service, which hands every
// message of a batch from this cluster to `deliver` (RaftNode::Step).
//
// Test-only fault switch (only in a build with -DETCDPP_TEST_HOOKS=ON, server/test_hooks.h): with
// ETCDPP_TEST_PEER_FAULTS=1 in the environment, the member reads
// <data-dir>/peer-faults (re-read at most every 100 ms): hex member IDs, one per line, or "*"
// for every peer; traffic to and from those members is dropped as if the network ate it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "grpcpp/server.h"
#include "internalpb/peer.pb.h"
#include "raft/types.h"
#include "server/config.h"
#include "server/rafthttp/peer_prober.h"
#include "server/rafthttp/peer_sender.h"

namespace etcdpp::server {

class PeerFaults {
 public:
  // Disabled unless the test hooks are built in and ETCDPP_TEST_PEER_FAULTS=1.
  explicit PeerFaults(std::string file);
  bool IsCut(uint64_t peer);

 private:
  const std::string file_;
  const bool enabled_;
  Mutex mu_;
  std::chrono::steady_clock::time_point loaded_at_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint64_t> cut_ ABSL_GUARDED_BY(mu_);
  bool cut_all_ ABSL_GUARDED_BY(mu_) = false;
};

class Transport {
 public:
  struct Options {
    uint64_t local_id = 0;
    uint64_t cluster_id = 0;
    std::vector<Url> listen_urls;
    std::string faults_file;  // see PeerFaults
    // More services on the peer port (not owned; outlive the transport): lease forwarding.
    std::vector<grpc::Service*> extra_services;
  };
  struct Hooks {
    std::function<void(raft::Message)> deliver;  // any thread (gRPC)
    std::function<void(uint64_t)> report_unreachable;
    std::function<void(uint64_t, bool)> report_snapshot;
    std::function<void(internalpb::MembersResponse*)> members;  // for Peer.Members
    std::function<bool(uint64_t)> is_removed;                   // a member removed from the cluster
    std::function<void()> removed_self;  // a peer says this member was removed
  };

  Transport(Options opts, Hooks hooks);
  ~Transport();

  [[nodiscard]] absl::Status Start();  // listens on the peer URLs
  void Stop();                         // stops the senders, then the server

  // Called from the Raft node thread; never blocks.
  void Send(std::vector<raft::Message> msgs);
  void AddPeer(uint64_t id, std::vector<std::string> urls);  // or updates its URLs
  void RemovePeer(uint64_t id);
  // Members this one has a working stream to (endpoint health / learner promotion hints).
  bool IsActive(uint64_t id) const;
  // Since when the stream to `id` has been working (zero time_point: not now).
  std::chrono::steady_clock::time_point ActiveSince(uint64_t id) const;

  // For the Peer service.
  uint64_t cluster_id() const { return opts_.cluster_id; }
  bool IsCut(uint64_t peer) { return faults_.IsCut(peer); }
  void Deliver(raft::Message m) { hooks_.deliver(std::move(m)); }
  bool IsRemoved(uint64_t id) const { return hooks_.is_removed && hooks_.is_removed(id); }
  void FillMembers(internalpb::MembersResponse* resp) { hooks_.members(resp); }

 private:
  const Options opts_;
  const Hooks hooks_;
  PeerFaults faults_;

  mutable Mutex mu_;
  std::map<uint64_t, std::unique_ptr<PeerSender>> peers_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  PeerProber prober_{NewPeerChannelTo};  // etcd_network_peer_round_trip_time_seconds
};

}  // namespace etcdpp::server
