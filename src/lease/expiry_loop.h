#pragma once
// The expiry loop: the thread that drives lease expiry on the leader (etcd's lessor runLoop
// plus EtcdServer.revokeExpiredLeases). It never changes lease state itself: it finds expired
// leases and due checkpoints in the lessor and PROPOSES revocations and checkpoints through
// Raft, revocations at a bounded rate (etcd: 1000/s). It also demotes the lessor as soon as
// this member is no longer the leader (promotion happens on the applier, at the new leader's
// first entry).

#include <cstdint>
#include <functional>

#include "common/loop_thread.h"
#include "internalpb/internal.pb.h"
#include "lease/lessor.h"

namespace etcdpp::lease {

class ExpiryLoop {
 public:
  struct Options {
    int64_t revokes_per_second = 1000;    // etcd's leaseRevokeRate
    size_t checkpoints_per_batch = 1000;  // etcd's maxLeaseCheckpointBatchSize
    int64_t max_wait_ms = 500;            // etcd's loop period: the longest sleep
  };
  // Proposes `req` through Raft; failures are only logged (an expired lease is found again).
  using ProposeFn = std::function<void(internalpb::InternalRequest req)>;

  // `lessor` is not owned and must outlive the timer.
  ExpiryLoop(Options o, lease::Lessor* lessor, std::function<bool()> is_leader, ProposeFn propose);
  ~ExpiryLoop();

  void Start();
  void Stop();  // joins

 private:
  void Loop();  // the expiry thread
  void RunOnce();
  int64_t WaitMicros() const;
  void Refill(int64_t now_us);

  // Constant after construction.
  const Options opts_;
  lease::Lessor* const lessor_;
  const std::function<bool()> is_leader_;
  const ProposeFn propose_;

  // Expiry thread only: the revocation token bucket.
  double tokens_ = 0;
  int64_t last_refill_us_ = 0;

  LoopThread loop_;  // runs Loop()
};

}  // namespace etcdpp::lease
