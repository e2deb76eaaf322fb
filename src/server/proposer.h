#pragma once
// Proposals through Raft and what becomes of them (etcd's v3_server.go processInternalRaftRequest
// and idutil): each request gets a member-unique id, its waiter is registered before it is
// proposed, and a request that did not apply within the request timeout fails with etcd's
// error for the reason (parseProposeCtxErr, reconfig_checks.h). Member changes go the same way
// with their waiter in the cluster store.
//
// The proposer reaches the raft node, the applier's waiters and the cluster store's waiters
// only through the functions of Deps, so its policy is unit-tested without them.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "raft/types.h"
#include "server/api/v3rpc/views.h"
#include "server/membership/cluster_store.h"
#include "server/membership/reconfig_checks.h"
#include "server/raftnode/request_timeouts.h"

namespace etcdpp::server {

class Proposer final : public Proposals {
 public:
  struct Options {
    uint64_t member_id = 0;
    size_t max_request_bytes = 1536 * 1024;  // --max-request-bytes
    std::chrono::milliseconds request_timeout{5000};
    // Milliseconds since the epoch at start: the middle bits of every id (idutil), so ids stay
    // unique across restarts (an entry replayed from the WAL never wakes a waiter of this
    // incarnation).
    uint64_t start_ms = 0;
  };
  struct Deps {
    // The raft node: hand a proposal on; take back one still waiting for a leader (true if it
    // did wait, so it never reached raft).
    std::function<void(uint64_t id, std::string data)> propose;
    std::function<void(uint64_t id, raft::ConfChange cc)> propose_conf_change;
    std::function<bool(uint64_t id)> unqueue;
    // The waiters of client requests (the applier's).
    std::function<void(uint64_t id, ApplyWaiter w)> register_waiter;
    // Fails the waiter for `id` with make() if it still waits; true if it did.
    std::function<bool(uint64_t id, const std::function<absl::Status()>& make)> fail_waiter;
    // The waiters of member changes (the cluster store's).
    std::function<void(uint64_t id, ClusterStore::Waiter w)> register_member_waiter;
    std::function<bool(uint64_t id)> member_waiting;
    std::function<void(uint64_t id, absl::Status st)> wake_member_waiter;
    // What the timeout policy judges, gathered now.
    std::function<TimeoutFacts()> timeout_facts;
    // The space quota, asked before each proposal: false refuses `req`, and then it has taken
    // *done and answers it (null: every request is admitted).
    std::function<bool(const internalpb::InternalRequest& req, ApplyWaiter* done)> admit;
  };

  Proposer(Options o, Deps d);
  ~Proposer() override;

  void Start();  // the request timeout thread
  void Stop();   // joins it; what is still tracked never expires

  // Too large (over --max-request-bytes encoded): `done` gets etcd's "request is too large" and
  // nothing is proposed. With no leader the proposal waits in the node for one.
  void Propose(internalpb::InternalRequest req, ApplyWaiter done) override;
  // A conf change for member `m`, whose record travels as the context with the request id.
  void ProposeConfChange(raft::ConfChangeType type, Member m, ClusterStore::Waiter done);

  // etcd's idutil: the member's low 16 bits, then 40 bits of start milliseconds and an 8-bit
  // counter that runs on into them. Never 0.
  uint64_t NextRequestId();
  // The error of a proposal made at `start` that did not apply in time.
  [[nodiscard]] absl::Status ProposalTimeoutError(RequestTimeouts::Clock::time_point start) const;

 private:
  void Expire(uint64_t id, RequestTimeouts::Clock::time_point start);

  const Options opts_;
  const Deps deps_;
  std::atomic<uint64_t> next_{0};
  RequestTimeouts timeouts_;
};

}  // namespace etcdpp::server
