#pragma once
// The judgements behind membership changes and proposal timeouts, as pure functions over a
// snapshot of the facts (the member list, when each peer stream became active, the clock), so
// that they are unit-tested without processes (reconfig_checks_test.cc). EtcdServer gathers
// the facts from the ClusterStore, the transport and the raft node, and calls these.
//
// They follow etcd 3.4: membership.RaftCluster's IsReadyTo{Add,Remove,Promote}VotingMember
// ("started" = a member that has published its name), EtcdServer.mayAddMember /
// mayRemoveMember (HealthInterval 5 s) and parseProposeCtxErr.

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "server/membership/membership.h"

namespace etcdpp::server {

using SteadyTime = std::chrono::steady_clock::time_point;

// What the strict reconfiguration checks and the timeout policy look at.
struct PeerFacts {
  uint64_t self = 0;
  std::vector<Member> members;  // the whole member list, learners included
  // When the stream to a peer became active; SteadyTime() when it is not (never asked for self).
  std::function<SteadyTime(uint64_t)> active_since;
  SteadyTime now;
};

// etcd's HealthInterval: a voter must have been connected this long to count as healthy.
inline constexpr std::chrono::seconds kHealthInterval{5};

// Voting members of `members`.
std::vector<Member> VotingMembers(const std::vector<Member>& members);
// How many of `members` (self always) have been connected since before `since`.
size_t NumConnectedSince(const PeerFacts& f, SteadyTime since, const std::vector<Member>& members);

// Quorum arithmetic over published ("started") voters (membership.RaftCluster).
bool IsReadyToAddVotingMember(const std::vector<Member>& members);
bool IsReadyToRemoveVotingMember(const std::vector<Member>& members, uint64_t id);
bool IsReadyToPromoteMember(const std::vector<Member>& members, uint64_t id);

// --strict-reconfig-check: OK, ErrMemberNotEnoughStarted or ErrUnhealthy.
[[nodiscard]] absl::Status MayAddMember(const PeerFacts& f, bool learner);
[[nodiscard]] absl::Status MayRemoveMember(const PeerFacts& f, uint64_t id);

// Which error a proposal made at `start` that did not apply in time gets.
struct TimeoutFacts {
  PeerFacts peers;
  uint64_t leader = 0;         // 0: none known
  SteadyTime lead_elected_at;  // SteadyTime(): never saw an election
  std::chrono::milliseconds election{1000};
};
// - Made while the previous leader was being replaced (within two election timeouts before the
//   current leader was elected): ErrTimeoutDueToLeaderFail.
// - The leader is this member and it has not been connected to a quorum since the proposal, or
//   the leader is another member and the stream to it broke since: ErrTimeoutDueToConnectionLost.
// - Otherwise (also with no leader at all): ErrTimeout.
[[nodiscard]] absl::Status ProposalTimeoutError(const TimeoutFacts& f, SteadyTime start);

}  // namespace etcdpp::server
