// The proposer's policy without a raft node, an applier or a cluster store: request ids, the
// size limit, waiter registration before the proposal, and which error a request that did not
// apply in time receives (queued for a leader, or in raft with the timeout policy's reason).

#include "server/proposer.h"

#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "gtest/gtest.h"
#include "server/errors.h"

namespace etcdpp::server {
namespace {

using namespace std::chrono_literals;

// Stands in for the raft node and the two waiter registries, recording what the proposer did.
struct Fakes {
  Mutex mu;
  std::vector<std::string> events ABSL_GUARDED_BY(mu);  // "register <id>", "propose <id>"
  std::map<uint64_t, ApplyWaiter> waiters ABSL_GUARDED_BY(mu);
  std::map<uint64_t, ClusterStore::Waiter> member_waiters ABSL_GUARDED_BY(mu);
  std::set<uint64_t> queued ABSL_GUARDED_BY(mu);  // proposals still waiting for a leader
  std::vector<std::string> proposed_data ABSL_GUARDED_BY(mu);
  TimeoutFacts facts ABSL_GUARDED_BY(mu) = NoLeaderYet();

  // Member 1 of a cluster that has not elected a leader.
  static TimeoutFacts NoLeaderYet() {
    TimeoutFacts f;
    f.peers.self = 1;
    f.peers.active_since = [](uint64_t) { return SteadyTime(); };
    return f;
  }

  Proposer::Deps Deps() {
    Proposer::Deps d;
    d.propose = [this](uint64_t id, std::string data) {
      MutexLock l(&mu);
      events.push_back("propose " + std::to_string(id));
      proposed_data.push_back(std::move(data));
    };
    d.propose_conf_change = [this](uint64_t id, raft::ConfChange) {
      MutexLock l(&mu);
      events.push_back("conf " + std::to_string(id));
    };
    d.unqueue = [this](uint64_t id) {
      MutexLock l(&mu);
      return queued.erase(id) > 0;
    };
    d.register_waiter = [this](uint64_t id, ApplyWaiter w) {
      MutexLock l(&mu);
      events.push_back("register " + std::to_string(id));
      waiters[id] = std::move(w);
    };
    d.fail_waiter = [this](uint64_t id, const std::function<absl::Status()>& make) {
      ApplyWaiter w;
      {
        MutexLock l(&mu);
        auto it = waiters.find(id);
        if (it == waiters.end()) return false;
        w = std::move(it->second);
        waiters.erase(it);
      }
      w(ApplyResult{make(), nullptr, nullptr});
      return true;
    };
    d.register_member_waiter = [this](uint64_t id, ClusterStore::Waiter w) {
      MutexLock l(&mu);
      member_waiters[id] = std::move(w);
    };
    d.member_waiting = [this](uint64_t id) {
      MutexLock l(&mu);
      return member_waiters.count(id) > 0;
    };
    d.wake_member_waiter = [this](uint64_t id, absl::Status st) {
      ClusterStore::Waiter w;
      {
        MutexLock l(&mu);
        w = std::move(member_waiters[id]);
        member_waiters.erase(id);
      }
      w(std::move(st));
    };
    d.timeout_facts = [this] {
      MutexLock l(&mu);
      return facts;
    };
    return d;
  }
};

internalpb::InternalRequest PutRequest(const std::string& value) {
  internalpb::InternalRequest r;
  r.mutable_put()->set_key("k");
  r.mutable_put()->set_value(value);
  return r;
}

// Proposes `req` and returns what its waiter gets.
std::future<absl::Status> ProposeAndWait(Proposer* p, internalpb::InternalRequest req) {
  auto done = std::make_shared<std::promise<absl::Status>>();
  p->Propose(std::move(req), [done](ApplyResult r) { done->set_value(r.status); });
  return done->get_future();
}

Proposer::Options Opts(std::chrono::milliseconds timeout = 10s) {
  return Proposer::Options{.member_id = 0xabcd,
                           .max_request_bytes = 1024,
                           .request_timeout = timeout,
                           .start_ms = 1'700'000'000'000};
}

// Ids carry the member in the top 16 bits and are unique; the start time sits below them, so a
// restarted member (a later start) never reuses the ids of the entries in its WAL.
TEST(ProposerTest, RequestIdsAreUniquePerMemberAndIncarnation) {
  Fakes f;
  Proposer p(Opts(), f.Deps());
  std::set<uint64_t> ids;
  for (int i = 0; i < 1000; ++i) {
    uint64_t id = p.NextRequestId();
    EXPECT_EQ(id >> 48, 0xabcdu);
    EXPECT_TRUE(ids.insert(id).second) << id;
  }
  Proposer::Options later = Opts();
  later.start_ms += 1000;  // restarted a second later
  Proposer restarted(later, f.Deps());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(ids.count(restarted.NextRequestId()), 0u);

  Proposer zero(Proposer::Options{.member_id = 0, .start_ms = 0}, f.Deps());
  EXPECT_NE(zero.NextRequestId(), 0u);  // 0 means "no waiter" in the log
}

// The waiter is registered before the request reaches raft (an entry applied at once still
// finds it), and the proposed data is the request with its id.
TEST(ProposerTest, RegistersTheWaiterBeforeProposing) {
  Fakes f;
  Proposer p(Opts(), f.Deps());
  auto result = ProposeAndWait(&p, PutRequest("v"));
  MutexLock l(&f.mu);
  ASSERT_EQ(f.events.size(), 2u);
  const std::string id = f.events[0].substr(std::string("register ").size());
  EXPECT_EQ(f.events[0], "register " + id);
  EXPECT_EQ(f.events[1], "propose " + id);
  internalpb::InternalRequest sent;
  ASSERT_TRUE(sent.ParseFromString(f.proposed_data[0]));
  EXPECT_EQ(std::to_string(sent.id()), id);
  EXPECT_EQ(sent.put().value(), "v");
}

// A request over --max-request-bytes fails with etcd's error and is never proposed.
TEST(ProposerTest, TooLargeRequestsAreRefusedBeforeRaft) {
  Fakes f;
  Proposer p(Opts(), f.Deps());
  auto result = ProposeAndWait(&p, PutRequest(std::string(2000, 'x')));
  absl::Status st = result.get();
  EXPECT_EQ(st.message(), ErrRequestTooLarge().message());
  MutexLock l(&f.mu);
  EXPECT_TRUE(f.events.empty());
  EXPECT_TRUE(f.waiters.empty());
}

// A proposal still queued for a leader when its time is up is taken back and fails with the
// context's deadline error (etcd: it never reached raft).
TEST(ProposerTest, QueuedProposalTimesOutWithTheContextError) {
  Fakes f;
  Proposer p(Opts(50ms), f.Deps());
  p.Start();
  {
    MutexLock l(&f.mu);
    f.queued.insert(p.NextRequestId() + 1);  // the id the next proposal gets
  }
  auto result = ProposeAndWait(&p, PutRequest("v"));
  ASSERT_EQ(result.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(result.get().message(), ErrContextDeadlineExceeded().message());
  MutexLock l(&f.mu);
  EXPECT_TRUE(f.queued.empty());  // taken back from the node
}

// A proposal that reached raft gets the timeout policy's reason: plain "request timed out"
// with no leader, "leader failed" when a new leader was elected just after it was made.
TEST(ProposerTest, ProposalInRaftTimesOutWithThePolicysReason) {
  Fakes f;
  Proposer p(Opts(50ms), f.Deps());
  p.Start();
  auto plain = ProposeAndWait(&p, PutRequest("v"));
  ASSERT_EQ(plain.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(plain.get().message(), ErrTimeout().message());

  {
    MutexLock l(&f.mu);
    f.facts.leader = 2;
    f.facts.election = 10s;
    f.facts.lead_elected_at = std::chrono::steady_clock::now() + 1s;  // after the proposal
  }
  auto leader_failed = ProposeAndWait(&p, PutRequest("v"));
  ASSERT_EQ(leader_failed.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(leader_failed.get().message(), ErrTimeoutDueToLeaderFail().message());
}

// A member change that did not apply in time wakes the cluster store's waiter with the error;
// one that was answered already (its waiter gone) is left alone.
TEST(ProposerTest, ConfChangeTimeoutWakesTheMemberWaiter) {
  Fakes f;
  Proposer p(Opts(50ms), f.Deps());
  p.Start();
  auto done = std::make_shared<std::promise<absl::Status>>();
  p.ProposeConfChange(raft::ConfChangeType::kAddNode, Member{.id = 9, .name = "m9"},
                      [done](absl::Status st) { done->set_value(std::move(st)); });
  auto result = done->get_future();
  ASSERT_EQ(result.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(result.get().message(), ErrTimeout().message());
  MutexLock l(&f.mu);
  EXPECT_TRUE(f.member_waiters.empty());
}

}  // namespace
}  // namespace etcdpp::server
