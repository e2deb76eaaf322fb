#pragma once
// The member's side of membership (etcd's server.go AddMember / RemoveMember / PromoteMember /
// MoveLeader / publish and its apply of conf changes): conf-change proposals with the strict
// reconfiguration checks (reconfig_checks.h, over facts gathered here), learner readiness,
// promotion forwarded to the leader, leader transfer, publishing this member's attributes, and
// the transport and member list kept in step with applied conf changes.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "internalpb/internal.pb.h"
#include "raft/types.h"
#include "server/api/v3rpc/views.h"
#include "server/config.h"
#include "server/membership/cluster_store.h"
#include "server/membership/reconfig_checks.h"
#include "server/proposer.h"
#include "server/rafthttp/transport.h"
#include "server/raftnode/raft_node.h"

namespace etcdpp::server {

class ClusterOps final : public ClusterView {
 public:
  struct Deps {
    const Config* cfg = nullptr;
    uint64_t member_id = 0;
    uint64_t cluster_id = 0;
    // None owned; all outlive the ops.
    ClusterStore* cluster = nullptr;
    RaftNode* node = nullptr;
    Proposer* proposer = nullptr;
    Transport* transport = nullptr;
    // Runs slow waits off the gRPC and applier threads (the owner's executor).
    std::function<absl::Status(std::function<void()>)> run_in_background;
    // Set once this member learns it was removed from the cluster.
    std::atomic<bool>* removed = nullptr;
  };

  explicit ClusterOps(Deps d) : d_(std::move(d)) {}

  // Ends the publish loop and promotion forwarding early (before the owner stops the node).
  void Stop() { stopping_.store(true, std::memory_order_release); }

  // ClusterView.
  const ClusterStore& cluster() const override { return *d_.cluster; }
  void ProposeConfChange(raft::ConfChangeType type, Member m, ClusterStore::Waiter done) override {
    d_.proposer->ProposeConfChange(type, std::move(m), std::move(done));
  }
  bool IsLearnerReady(uint64_t id) const override;
  [[nodiscard]] absl::Status MayAddMember(bool learner) const override;
  [[nodiscard]] absl::Status MayRemoveMember(uint64_t id) const override;
  void ForwardPromote(uint64_t id, Done done) override;
  void MoveLeader(uint64_t transferee, Done done) override;

  // Publishes this member's name and client URLs through Raft (etcd's publish), retrying until
  // it is applied; then prints the milestone lines tools wait for. Runs on the executor.
  void PublishLoop();
  // Applier thread, in log order: the member buckets change with the entry's consistent index,
  // so a raft snapshot or its install never separates a conf change from the member list it
  // made (the raft configuration itself changed on the node thread).
  void OnConfChange(const raft::ConfChange& cc, bool in_backend);
  // After a snapshot install replaced the member list: the transport follows it.
  void SyncPeersWithMembers();
  // The member list as the peer port's Members call and the raft snapshot carry it.
  void FillPeerMembers(internalpb::MembersResponse* resp) const;
  // The facts the reconfiguration checks and the timeout policy judge.
  PeerFacts CurrentPeerFacts() const;
  TimeoutFacts CurrentTimeoutFacts() const;

 private:
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void MarkRemoved();

  const Deps d_;
  std::atomic<bool> stopping_{false};
};

}  // namespace etcdpp::server
