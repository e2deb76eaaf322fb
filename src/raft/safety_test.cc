// Randomized partitions over a five-member cluster (deterministic seed): the State Machine
// Safety property of §5.4.3 must hold throughout, and the debug invariant checks (term and
// commit never go back, one vote per term) run after every step.

#include <random>

#include "gtest/gtest.h"
#include "raft/log.h"
#include "raft/test_network.h"

namespace etcdpp::raft {
namespace {

using testing::Network;

bool IsPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// §5.4.3: "if a server has applied a log entry at a given index to its state machine, no other
// server will ever apply a different log entry for the same index."
TEST(SafetyTest, NoTwoMembersApplyDifferentEntriesUnderRandomPartitions) {
  for (bool pre_vote : {false, true}) {
    Config c;
    c.pre_vote = pre_vote;
    c.check_quorum = pre_vote;
    Network n({1, 2, 3, 4, 5}, {}, c);
    std::mt19937_64 rng(pre_vote ? 11 : 7);
    int proposed = 0;
    for (int tick = 0; tick < 400; ++tick) {
      if (tick % 25 == 0) {
        n.Heal();
        for (uint64_t id = 1; id <= 5; ++id) {
          if (rng() % 3 == 0) n.Isolate(id);
        }
      }
      for (uint64_t id = 1; id <= 5; ++id) {
        if (n.raft(id).state() == StateType::kLeader) {
          (void)n.node(id).Propose("p" + std::to_string(proposed++));
        }
      }
      n.TickAll();
      for (uint64_t a = 1; a <= 5; ++a) {
        for (uint64_t b = a + 1; b <= 5; ++b) {
          const auto& x = n[a].applied;
          const auto& y = n[b].applied;
          ASSERT_TRUE(IsPrefix(x, y) || IsPrefix(y, x)) << "members " << a << " and " << b;
        }
      }
    }
    n.Heal();
    n.TickAll(30);
    uint64_t leader = n.Leader();
    ASSERT_NE(leader, 0u);
    for (uint64_t id = 1; id <= 5; ++id) {
      EXPECT_EQ(n[id].applied, n[leader].applied) << id;
    }
    EXPECT_GT(n[leader].applied.size(), 50u);
  }
}

TEST(SafetyDeathTest, CommittingBeyondTheLogAborts) {
  MemoryStorage s;
  auto log = *RaftLog::Open(&s, UINT64_MAX);
  EXPECT_DEATH(log->CommitTo(10), "tocommit\\(10\\) is out of range");
}

}  // namespace
}  // namespace etcdpp::raft
