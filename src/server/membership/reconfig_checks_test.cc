#include "server/membership/reconfig_checks.h"

#include <map>

#include "common/error_id.h"
#include "gtest/gtest.h"
#include "server/errors.h"

namespace etcdpp::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Member Voter(uint64_t id, bool started = true) {
  return Member{id, started ? "m" + std::to_string(id) : "", {}, {}, false};
}
Member Learner(uint64_t id) { return Member{id, "l" + std::to_string(id), {}, {}, true}; }

// The same error as `want`: same id (and so the same code and message at the gRPC edge).
void ExpectError(const absl::Status& got, const absl::Status& want) {
  EXPECT_EQ(ErrorIdOf(got), ErrorIdOf(want)) << got;
  EXPECT_EQ(got.message(), want.message());
}

// Member 1 is self; `connected[id]` is when the stream to id became active (absent: down).
struct Facts {
  SteadyTime now = SteadyTime() + std::chrono::hours(1);
  std::map<uint64_t, SteadyTime> connected;
  PeerFacts Make(std::vector<Member> members) const {
    PeerFacts f;
    f.self = 1;
    f.members = std::move(members);
    f.now = now;
    f.active_since = [c = connected](uint64_t id) {
      auto it = c.find(id);
      return it == c.end() ? SteadyTime() : it->second;
    };
    return f;
  }
};

TEST(ReconfigChecksTest, AddingAVoterNeedsAQuorumOfStartedVotersAfterTheAdd) {
  EXPECT_TRUE(IsReadyToAddVotingMember({Voter(1)}));  // growing a one-member cluster
  // 3 voters + 1 = 4: 3 must have started.
  EXPECT_FALSE(IsReadyToAddVotingMember({Voter(1), Voter(2), Voter(3, false)}));
  EXPECT_TRUE(IsReadyToAddVotingMember({Voter(1), Voter(2), Voter(3)}));
  // Learners do not count either way.
  EXPECT_FALSE(IsReadyToAddVotingMember({Voter(1), Voter(2, false), Learner(3)}));
  EXPECT_TRUE(IsReadyToAddVotingMember({Voter(1), Voter(2), Learner(3)}));
}

TEST(ReconfigChecksTest, RemovingAVoterNeedsAQuorumOfStartedVotersAfterTheRemoval) {
  EXPECT_TRUE(IsReadyToRemoveVotingMember({Voter(1), Voter(2), Voter(3)}, 3));
  // After removing 3: voters 1, 2 of which only 1 started: 1 < 2.
  EXPECT_FALSE(IsReadyToRemoveVotingMember({Voter(1), Voter(2, false), Voter(3)}, 3));
  // Removing the unstarted one leaves a started quorum.
  EXPECT_TRUE(IsReadyToRemoveVotingMember({Voter(1), Voter(2), Voter(3, false)}, 3));
  // Removing the last voter: none left.
  EXPECT_FALSE(IsReadyToRemoveVotingMember({Voter(1)}, 1));
}

TEST(ReconfigChecksTest, PromotingCountsTheLearnerAsAStartedVoter) {
  EXPECT_TRUE(IsReadyToPromoteMember({Voter(1), Learner(2)}, 2));
  // Voters 1, 2 (unstarted), 3 (unstarted) + the learner: 2 started of 4 < 3.
  EXPECT_FALSE(IsReadyToPromoteMember({Voter(1), Voter(2, false), Voter(3, false), Learner(4)}, 4));
  EXPECT_TRUE(IsReadyToPromoteMember({Voter(1), Voter(2), Voter(3, false), Learner(4)}, 4));
}

TEST(ReconfigChecksTest, AddNeedsEveryVoterConnectedForTheHealthInterval) {
  Facts t;
  std::vector<Member> members = {Voter(1), Voter(2), Voter(3), Learner(4)};
  t.connected = {{2, t.now - seconds(60)}, {3, t.now - seconds(60)}};
  EXPECT_TRUE(MayAddMember(t.Make(members), false).ok());
  EXPECT_TRUE(MayAddMember(t.Make(members), true).ok());
  t.connected[3] = t.now - seconds(4);  // reconnected 4 s ago: not yet healthy
  ExpectError(MayAddMember(t.Make(members), false), ErrUnhealthy());
  ExpectError(MayAddMember(t.Make(members), true), ErrUnhealthy());
  t.connected.erase(3);  // down
  ExpectError(MayAddMember(t.Make(members), true), ErrUnhealthy());
}

TEST(ReconfigChecksTest, AddingAVoterWithTooFewStartedIsRefusedFirst) {
  Facts t;
  t.connected = {{2, t.now - seconds(60)}, {3, t.now - seconds(60)}};
  std::vector<Member> members = {Voter(1), Voter(2, false), Voter(3, false)};
  ExpectError(MayAddMember(t.Make(members), false), ErrMemberNotEnoughStarted());
  EXPECT_TRUE(MayAddMember(t.Make(members), true).ok());  // a learner needs no started quorum
}

TEST(ReconfigChecksTest, RemoveKeepsAnActiveQuorumOrRemovesWhatIsDown) {
  Facts t;
  std::vector<Member> members = {Voter(1), Voter(2), Voter(3), Learner(4)};
  EXPECT_TRUE(MayRemoveMember(t.Make(members), 4).ok());  // a learner: always
  // 2 connected long, 3 down: removing 3 (down) is safe.
  t.connected = {{2, t.now - seconds(60)}};
  EXPECT_TRUE(MayRemoveMember(t.Make(members), 3).ok());
  // Removing 2 (up) would leave 1 and the down 3: active 2 (self, 2) < 1 + 1 + 1 = 3.
  ExpectError(MayRemoveMember(t.Make(members), 2), ErrUnhealthy());
  // Everyone connected: fine.
  t.connected[3] = t.now - seconds(60);
  EXPECT_TRUE(MayRemoveMember(t.Make(members), 2).ok());
  // Removing self with one peer only freshly connected: active 2 < 3.
  t.connected[3] = t.now - seconds(1);
  ExpectError(MayRemoveMember(t.Make(members), 1), ErrUnhealthy());
}

TEST(ReconfigChecksTest, TimeoutRightAfterAnElectionBlamesTheLeaderChange) {
  Facts t;
  TimeoutFacts f;
  f.peers = t.Make({Voter(1), Voter(2), Voter(3)});
  f.election = milliseconds(1000);
  f.leader = 2;
  f.lead_elected_at = t.now - seconds(10);
  t.connected = {{2, t.now - seconds(60)}};
  f.peers = t.Make({Voter(1), Voter(2), Voter(3)});
  // Made 1.5 s before the election (within 2 election timeouts): leader failure.
  ExpectError(ProposalTimeoutError(f, f.lead_elected_at - milliseconds(1500)),
              ErrTimeoutDueToLeaderFail());
  // Made 3 s before it: an ordinary timeout (the stream to the leader held).
  ExpectError(ProposalTimeoutError(f, f.lead_elected_at - seconds(3)), ErrTimeout());
  // Made after the election, stream to the leader up since before: ordinary timeout.
  ExpectError(ProposalTimeoutError(f, t.now - seconds(7)), ErrTimeout());
}

TEST(ReconfigChecksTest, TimeoutAfterTheConnectionBrokeBlamesTheConnection) {
  Facts t;
  TimeoutFacts f;
  f.leader = 2;
  SteadyTime start = t.now - seconds(7);
  t.connected = {{2, t.now - seconds(5)}};  // the stream to the leader restarted after `start`
  f.peers = t.Make({Voter(1), Voter(2), Voter(3)});
  ExpectError(ProposalTimeoutError(f, start), ErrTimeoutDueToConnectionLost());
  t.connected.clear();  // no stream to the leader at all
  f.peers = t.Make({Voter(1), Voter(2), Voter(3)});
  ExpectError(ProposalTimeoutError(f, start), ErrTimeoutDueToConnectionLost());

  // This member leads: it needs a quorum connected since `start`.
  f.leader = 1;
  t.connected = {{2, t.now - seconds(60)}, {3, t.now - seconds(1)}};
  f.peers = t.Make({Voter(1), Voter(2), Voter(3)});
  ExpectError(ProposalTimeoutError(f, start), ErrTimeout());  // self + 2 = quorum
  t.connected.erase(2);
  f.peers = t.Make({Voter(1), Voter(2), Voter(3)});
  ExpectError(ProposalTimeoutError(f, start), ErrTimeoutDueToConnectionLost());
}

TEST(ReconfigChecksTest, TimeoutWithNoLeaderIsAPlainTimeout) {
  Facts t;
  TimeoutFacts f;
  f.peers = t.Make({Voter(1), Voter(2), Voter(3)});
  ExpectError(ProposalTimeoutError(f, t.now - seconds(7)), ErrTimeout());
}

}  // namespace
}  // namespace etcdpp::server
