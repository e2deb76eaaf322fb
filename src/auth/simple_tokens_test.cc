#include "auth/simple_tokens.h"

#include "gtest/gtest.h"

namespace etcdpp::auth {
namespace {

TEST(SimpleTokensTest, PrefixAndIndex) {
  std::string p = SimpleTokens::NewPrefix();
  EXPECT_EQ(p.size(), 16u);
  for (char c : p) EXPECT_TRUE(std::isalpha(static_cast<unsigned char>(c)));
  EXPECT_EQ(SimpleTokens::IndexOf(p + ".42"), 42u);
  EXPECT_FALSE(SimpleTokens::IndexOf(p).has_value());
  EXPECT_FALSE(SimpleTokens::IndexOf(p + ".x").has_value());
  EXPECT_FALSE(SimpleTokens::IndexOf(p + ".1.2").has_value());
}

TEST(SimpleTokensTest, UseKeepsATokenAliveAndIdleOnesExpire) {
  SimpleTokens t(absl::Seconds(10));
  absl::Time now = absl::FromUnixSeconds(1000);
  t.Assign("a.1", "alice", now);
  EXPECT_EQ(t.Lookup("a.1", now + absl::Seconds(9)), "alice");
  EXPECT_EQ(t.Lookup("a.1", now + absl::Seconds(18)), "alice");  // renewed at +9
  EXPECT_FALSE(t.Lookup("a.1", now + absl::Seconds(29)).has_value());
  EXPECT_FALSE(t.Lookup("a.1", now + absl::Seconds(19)).has_value());  // gone for good
}

TEST(SimpleTokensTest, InvalidateAndClear) {
  SimpleTokens t(absl::Seconds(10));
  absl::Time now = absl::FromUnixSeconds(1000);
  t.Assign("a.1", "alice", now);
  t.Assign("b.2", "bob", now);
  t.InvalidateUser("alice");
  EXPECT_FALSE(t.Lookup("a.1", now).has_value());
  EXPECT_EQ(t.Lookup("b.2", now), "bob");
  t.Clear();
  EXPECT_FALSE(t.Lookup("b.2", now).has_value());
}

TEST(SimpleTokensTest, ExpiredTokensAreSweptAsTheMapGrows) {
  SimpleTokens t(absl::Seconds(1));
  absl::Time now = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 1000; ++i) t.Assign("t." + std::to_string(i), "u", now + absl::Seconds(i));
  EXPECT_LT(t.SizeForTest(), 200u);
}

}  // namespace
}  // namespace etcdpp::auth
