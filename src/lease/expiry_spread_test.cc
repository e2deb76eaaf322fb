#include "lease/expiry_spread.h"

#include <map>

#include "gtest/gtest.h"

namespace etcdpp::lease {
namespace {

constexpr int64_t kSec = 1000000;

std::vector<Expiry> Same(int n, int64_t at, int64_t first_id = 1) {
  std::vector<Expiry> v;
  for (int i = 0; i < n; ++i) v.push_back(Expiry{first_id + i, at});
  return v;
}

TEST(SpreadExpiriesTest, FewerLeasesThanTheRateNeverMove) {
  auto v = Same(999, 10 * kSec);
  EXPECT_TRUE(SpreadExpiries(v).empty());
  for (const Expiry& e : v) EXPECT_EQ(e.expiry_us, 10 * kSec);
}

// 3,000 leases due at the same instant: 750 per second (3/4 of etcd's 1,000/s), over 4 s.
TEST(SpreadExpiriesTest, APileUpIsSpreadAtThreeQuartersOfTheRate) {
  const int64_t at = 10 * kSec;
  auto v = Same(3000, at);
  EXPECT_EQ(SpreadExpiries(v).size(), 3000u - 750u);
  std::map<int64_t, int> per_second;  // by whole seconds after `at`
  int64_t last = 0;
  for (const Expiry& e : v) {
    ASSERT_GE(e.expiry_us, at);    // never earlier
    ASSERT_GE(e.expiry_us, last);  // the order is kept
    ASSERT_LE(e.expiry_us, at + 4 * kSec);
    last = e.expiry_us;
    ++per_second[(e.expiry_us - at) / kSec];
  }
  for (const auto& [second, n] : per_second) EXPECT_LE(n, 751) << "second " << second;
  EXPECT_EQ(per_second[0], 750);
}

// Leases already spread over time do not move; only the excess of a crowded second does, and a
// crowded window's excess lands after the window.
TEST(SpreadExpiriesTest, OnlyTheExcessOfACrowdedSecondMoves) {
  std::vector<Expiry> v;
  int64_t id = 1;
  for (int s = 0; s < 4; ++s) {  // 4 x 300 leases, each group within its own second
    for (int i = 0; i < 300; ++i) v.push_back(Expiry{id++, s * 2 * kSec + i * 1000});
  }
  EXPECT_TRUE(SpreadExpiries(v).empty());

  auto crowded = Same(1000, 5 * kSec);
  const std::vector<size_t> moved = SpreadExpiries(crowded);
  ASSERT_EQ(moved.size(), 250u);
  for (size_t i : moved) {
    EXPECT_GE(i, 750u);
    EXPECT_GT(crowded[i].expiry_us, 6 * kSec);
    EXPECT_LE(crowded[i].expiry_us, 5 * kSec + 1334 * kSec / 1000);
  }
}

}  // namespace
}  // namespace etcdpp::lease
