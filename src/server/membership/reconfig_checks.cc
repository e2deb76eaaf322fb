#include "server/membership/reconfig_checks.h"

#include <algorithm>

#include "server/errors.h"

namespace etcdpp::server {
namespace {

struct VoterCount {
  int voters = 0;
  int started = 0;
};

VoterCount CountVoters(const std::vector<Member>& members, uint64_t except) {
  VoterCount c;
  for (const Member& m : members) {
    if (m.is_learner || m.id == except) continue;
    ++c.voters;
    if (!m.name.empty()) ++c.started;
  }
  return c;
}

bool QuorumStarted(int started, int voters) {
  if (started == 1 && voters == 2) return true;  // growing a one-member cluster
  return started >= voters / 2 + 1;
}

}  // namespace

std::vector<Member> VotingMembers(const std::vector<Member>& members) {
  std::vector<Member> v = members;
  std::erase_if(v, [](const Member& m) { return m.is_learner; });
  return v;
}

size_t NumConnectedSince(const PeerFacts& f, SteadyTime since, const std::vector<Member>& members) {
  return std::count_if(members.begin(), members.end(), [&](const Member& m) {
    if (m.id == f.self) return true;
    SteadyTime t = f.active_since(m.id);
    return t != SteadyTime() && t < since;
  });
}

bool IsReadyToAddVotingMember(const std::vector<Member>& members) {
  VoterCount c = CountVoters(members, 0);
  return QuorumStarted(c.started, c.voters + 1);  // + the one being added
}

bool IsReadyToRemoveVotingMember(const std::vector<Member>& members, uint64_t id) {
  VoterCount c = CountVoters(members, id);
  return c.voters > 0 && c.started >= c.voters / 2 + 1;
}

bool IsReadyToPromoteMember(const std::vector<Member>& members, uint64_t id) {
  VoterCount c = CountVoters(members, 0);
  auto it =
      std::find_if(members.begin(), members.end(), [&](const Member& m) { return m.id == id; });
  if (it != members.end() && !it->name.empty()) ++c.started;
  return QuorumStarted(c.started, c.voters + 1);
}

[[nodiscard]] absl::Status MayAddMember(const PeerFacts& f, bool learner) {
  if (!learner && !IsReadyToAddVotingMember(f.members)) return ErrMemberNotEnoughStarted();
  std::vector<Member> voters = VotingMembers(f.members);
  if (NumConnectedSince(f, f.now - kHealthInterval, voters) != voters.size()) {
    return ErrUnhealthy();  // not connected to every voter for 5 s: the change could break quorum
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status MayRemoveMember(const PeerFacts& f, uint64_t id) {
  auto it =
      std::find_if(f.members.begin(), f.members.end(), [&](const Member& m) { return m.id == id; });
  if (it != f.members.end() && it->is_learner) return absl::OkStatus();
  if (!IsReadyToRemoveVotingMember(f.members, id)) return ErrMemberNotEnoughStarted();
  // A member that is down is not part of the active quorum: safe to remove.
  if (id != f.self && f.active_since(id) == SteadyTime()) return absl::OkStatus();
  std::vector<Member> voters = VotingMembers(f.members);
  size_t active = NumConnectedSince(f, f.now - kHealthInterval, voters);
  if (active < 1 + 1 + (voters.size() - 1) / 2) return ErrUnhealthy();
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ProposalTimeoutError(const TimeoutFacts& f, SteadyTime start) {
  const SteadyTime elected = f.lead_elected_at;
  if (elected != SteadyTime() && start > elected - 2 * f.election && start < elected) {
    return ErrTimeoutDueToLeaderFail();
  }
  if (f.leader == f.peers.self) {
    if (NumConnectedSince(f.peers, start, f.peers.members) < f.peers.members.size() / 2 + 1) {
      return ErrTimeoutDueToConnectionLost();
    }
  } else if (f.leader != 0) {
    SteadyTime t = f.peers.active_since(f.leader);
    if (t == SteadyTime() || t >= start) return ErrTimeoutDueToConnectionLost();
  }
  return ErrTimeout();
}

}  // namespace etcdpp::server
