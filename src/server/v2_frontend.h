#pragma once
// The member's side of the v2 API (--enable-v2): the HTTP handler's view of the member (v2http/),
// its proposals through the Proposer, and the leader's SYNC loop: every 500 ms, while the v2
// store holds keys with a TTL, the leader proposes a SYNC request carrying its clock, and every
// member expires what that time has passed when it applies the entry (etcd 3.4's
// EtcdServer.sync). So TTL keys expire at the same point of the log on every member.
// The same loop polls the v2 watches every 500 ms on every member, so that a long poll ends
// after etcd's 5 minutes without an event. The leader also writes the cluster version to /0/version
// once, as etcd's leader does, so that the store's index moves as etcd's. docs/design/v2_server.md.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/bounded_executor.h"
#include "common/loop_thread.h"
#include "server/config.h"
#include "server/http/request.h"
#include "server/http/responder.h"
#include "server/proposer.h"
#include "server/raftnode/raft_node.h"
#include "server/stores.h"
#include "server/v2http/v2_http.h"

namespace etcdpp::server {

class V2Frontend {
 public:
  struct Deps {
    const Config* cfg = nullptr;
    uint64_t member_id = 0;
    uint64_t cluster_id = 0;
    // None owned; all outlive the frontend.
    Stores* stores = nullptr;
    Proposer* proposer = nullptr;
    RaftNode* node = nullptr;
  };
  explicit V2Frontend(Deps d);
  ~V2Frontend();

  void Start();  // the SYNC loop
  void Stop();   // joins it

  // Serves a /v2/ request (the client port's HTTP side calls it with --enable-v2).
  void Handle(http::Request req, std::shared_ptr<http::Responder> resp) {
    http_->Handle(std::move(req), std::move(resp));
  }

 private:
  void SyncLoop();  // the SYNC loop thread
  // The leader's part of etcd's monitorVersions: /0/version set once per cluster.
  void MaybeSetClusterVersion() ABSL_LOCKS_EXCLUDED(loop_.mu());
  void Propose(internalpb::V2Request r, v2http::V2View::ProposeDone done);
  std::string SelfStats();
  std::string LeaderStats() const;

  const Deps d_;
  const absl::Time start_time_;
  // The v2 auth work that blocks (bcrypt, proposals waited for): /v2/auth and the access checks
  // once auth is enabled. Started by Start, stopped (after what is queued) by Stop.
  BoundedExecutor auth_workers_{"etcdpp-v2auth", 2, 256};
  std::unique_ptr<v2http::V2Http> http_;

  // Runs SyncLoop(); mu() guards what follows.
  LoopThread loop_;
  uint64_t seen_leader_ ABSL_GUARDED_BY(loop_.mu()) = 0;
  absl::Time leader_since_ ABSL_GUARDED_BY(loop_.mu());
  bool version_checked_ ABSL_GUARDED_BY(loop_.mu()) = false;  // in this leadership
};

}  // namespace etcdpp::server
