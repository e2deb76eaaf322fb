#include "watch/interval_index.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace etcdpp::watch {
namespace {

struct Iv {
  std::string begin, end;
  bool unbounded;
  int id;
  bool Contains(const std::string& p) const { return p >= begin && (unbounded || p < end); }
};

std::vector<int> Stab(const IntervalIndex<int>& idx, const std::string& p) {
  std::vector<int> out;
  idx.Stab(p, [&](int v) { out.push_back(v); });
  std::sort(out.begin(), out.end());
  return out;
}

TEST(IntervalIndexTest, FindsContainingIntervalsOnly) {
  IntervalIndex<int> idx;
  idx.Insert("a", "c", false, 1);  // [a, c)
  idx.Insert("b", "", true, 2);    // [b, +inf)
  idx.Insert("foo/", "foo0", false, 3);
  EXPECT_EQ(Stab(idx, "a"), (std::vector<int>{1}));
  EXPECT_EQ(Stab(idx, "b"), (std::vector<int>{1, 2}));
  EXPECT_EQ(Stab(idx, "c"), (std::vector<int>{2}));
  EXPECT_EQ(Stab(idx, "foo/x"), (std::vector<int>{2, 3}));
  EXPECT_EQ(Stab(idx, "0"), (std::vector<int>{}));
  EXPECT_TRUE(idx.Erase("b", 2));
  EXPECT_FALSE(idx.Erase("b", 2));
  EXPECT_EQ(Stab(idx, "c"), (std::vector<int>{}));
  EXPECT_EQ(idx.size(), 2u);
}

TEST(IntervalIndexTest, SameIntervalManyValues) {
  IntervalIndex<int> idx;
  for (int i = 0; i < 1000; ++i) idx.Insert("p/", "p0", false, i);
  EXPECT_EQ(Stab(idx, "p/k").size(), 1000u);
  for (int i = 0; i < 1000; i += 2) EXPECT_TRUE(idx.Erase("p/", i));
  EXPECT_EQ(Stab(idx, "p/k").size(), 500u);
  EXPECT_TRUE(Stab(idx, "q").empty());
}

TEST(IntervalIndexTest, RandomizedAgainstBruteForce) {
  std::mt19937 rng(42);
  auto key = [&] {
    return std::string(1, static_cast<char>('a' + rng() % 20)) + std::to_string(rng() % 5);
  };
  IntervalIndex<int> idx;
  std::vector<Iv> live;
  for (int step = 0; step < 3000; ++step) {
    if (live.empty() || rng() % 3 != 0) {
      std::string b = key(), e = key();
      if (e <= b) std::swap(b, e);
      if (e == b) e = b + "z";
      Iv iv{b, e, rng() % 5 == 0, step};
      idx.Insert(iv.begin, iv.end, iv.unbounded, iv.id);
      live.push_back(iv);
    } else {
      size_t i = rng() % live.size();
      ASSERT_TRUE(idx.Erase(live[i].begin, live[i].id));
      live.erase(live.begin() + i);
    }
    std::string p = key();
    std::vector<int> want;
    for (const Iv& iv : live) {
      if (iv.Contains(p)) want.push_back(iv.id);
    }
    std::sort(want.begin(), want.end());
    ASSERT_EQ(Stab(idx, p), want) << "step " << step << " point " << p;
  }
  EXPECT_EQ(idx.size(), live.size());
}

}  // namespace
}  // namespace etcdpp::watch
