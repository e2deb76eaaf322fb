#include "server/gateway/picker.h"

#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace etcdpp::server::gateway {
namespace {

std::vector<Endpoint> Plain(int n) {
  std::vector<Endpoint> eps;
  for (int i = 0; i < n; ++i) eps.push_back({"127.0.0.1", static_cast<uint16_t>(2379 + i)});
  return eps;
}

// A random source that must not be asked (the round-robin path uses none).
int NoRandom(int) {
  ADD_FAILURE() << "random source used";
  return 0;
}

TEST(PickerTest, EndpointsFromFlagsAreTakenInTurn) {
  Picker p(Plain(3), NoRandom);
  std::vector<size_t> got;
  for (int i = 0; i < 6; ++i) got.push_back(*p.Pick());
  EXPECT_EQ(got, (std::vector<size_t>{0, 1, 2, 0, 1, 2}));
}

TEST(PickerTest, InactiveEndpointsAreSkippedUntilActivated) {
  Picker p(Plain(3), NoRandom);
  p.Deactivate(1);
  std::vector<size_t> got;
  for (int i = 0; i < 4; ++i) got.push_back(*p.Pick());
  EXPECT_EQ(got, (std::vector<size_t>{0, 2, 0, 2}));
  p.Activate(1);
  got.clear();
  for (int i = 0; i < 3; ++i) got.push_back(*p.Pick());
  EXPECT_EQ(got, (std::vector<size_t>{0, 1, 2}));  // the turn goes on where it was (6 % 3)
}

TEST(PickerTest, NoneActiveGivesNothing) {
  Picker p(Plain(2), NoRandom);
  p.Deactivate(0);
  p.Deactivate(1);
  EXPECT_FALSE(p.Pick().has_value());
  EXPECT_FALSE(Picker({}, NoRandom).Pick().has_value());
}

TEST(PickerTest, WeightlessRoundRobinCountsOverAllEndpoints) {
  // etcd's quirk, kept: without weights the turn runs over every active endpoint, whatever its
  // priority class.
  std::vector<Endpoint> eps = {{"a", 1, 10, 0}, {"b", 1, 5, 0}, {"c", 1, 5, 0}};
  Picker p(eps, NoRandom);
  std::vector<size_t> got;
  for (int i = 0; i < 3; ++i) got.push_back(*p.Pick());
  EXPECT_EQ(got, (std::vector<size_t>{0, 1, 2}));
}

TEST(PickerTest, WeightedDrawStaysInTheBestPriorityClass) {
  std::vector<Endpoint> eps = {{"a", 1, 10, 9}, {"b", 1, 5, 1}};
  Picker p(eps, [](int n) { return n - 1; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*p.Pick(), 1u);
  p.Deactivate(1);
  EXPECT_EQ(*p.Pick(), 0u);
}

TEST(PickerTest, WeightsDrawInProportion) {
  // RFC 2782: a running sum over the weights; rand_below(total) picks the record.
  std::vector<Endpoint> eps = {{"a", 1, 0, 1}, {"b", 1, 0, 3}};
  int next = 0;
  Picker p(eps, [&next](int n) { return next++ % n; });
  std::map<size_t, int> count;
  for (int i = 0; i < 4; ++i) ++count[*p.Pick()];  // draws 0,1,2,3 of [0,4)
  // etcd's loop returns the first record whose running sum reaches the draw: 0 and 1 -> a,
  // 2 and 3 -> b.
  EXPECT_EQ(count[0], 2);
  EXPECT_EQ(count[1], 2);
}

TEST(PickerTest, WeightZeroNextToWeightedIsRare) {
  std::vector<Endpoint> eps = {{"a", 1, 0, 5}, {"zero", 1, 0, 0}};
  // The first draw is the 1-in-100 chance for weight-0 records; 1 takes it.
  Picker p(eps, [](int n) { return n == 100 ? 1 : 0; });
  EXPECT_EQ(*p.Pick(), 1u);
  Picker q(eps, [](int) { return 0; });
  EXPECT_EQ(*q.Pick(), 0u);
}

TEST(PickerTest, AddressBracketsIpv6) {
  EXPECT_EQ((Endpoint{"127.0.0.1", 2379}).Address(), "127.0.0.1:2379");
  EXPECT_EQ((Endpoint{"::1", 2379}).Address(), "[::1]:2379");
  EXPECT_EQ((Endpoint{"localhost", 2379}).Address(), "localhost:2379");
}

}  // namespace
}  // namespace etcdpp::server::gateway
