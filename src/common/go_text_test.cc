#include "common/go_text.h"

#include <gtest/gtest.h>

namespace etcdpp {
namespace {

TEST(GoQuote, EscapesAsStrconvQuote) {
  EXPECT_EQ(GoQuote("foo"), "\"foo\"");
  EXPECT_EQ(GoQuote("a\"b\\c\td\x01"), "\"a\\\"b\\\\c\\td\\x01\"");
  EXPECT_EQ(GoQuote("h\xc3\xa9llo \xe2\x9c\x93"), "\"h\xc3\xa9llo \xe2\x9c\x93\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
  EXPECT_EQ(GoQuote(std::string("\0", 1)), "\"\\x00\"");
  EXPECT_EQ(GoQuote("\x7f"), "\"\\x7f\"");
}

TEST(GoUnquote, RoundTripsAndRejects) {
  EXPECT_EQ(*GoUnquote("\"a\\tb\\x41\\u00e9\""), "a\tbA\xc3\xa9");
  EXPECT_FALSE(GoUnquote("\"abc").ok());
  EXPECT_FALSE(GoUnquote("\"a\\qb\"").ok());
}

TEST(GoDuration, ParseAndPrint) {
  EXPECT_EQ(*GoParseDuration("2s"), absl::Seconds(2));
  EXPECT_EQ(*GoParseDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*GoParseDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*GoParseDuration("0"), absl::ZeroDuration());
  EXPECT_EQ(GoParseDuration("1").status().message(), "time: missing unit in duration \"1\"");
  EXPECT_EQ(GoParseDuration("1x").status().message(),
            "time: unknown unit \"x\" in duration \"1x\"");
  EXPECT_EQ(GoDurationString(absl::Seconds(5)), "5s");
  EXPECT_EQ(GoDurationString(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(GoDurationString(absl::Minutes(60)), "1h0m0s");
  EXPECT_EQ(GoDurationString(absl::Microseconds(1598625) / 1000), "1.598625ms");
  EXPECT_EQ(GoDurationString(absl::Nanoseconds(5000804817)), "5.000804817s");
  EXPECT_EQ(GoDurationString(absl::ZeroDuration()), "0s");
}

TEST(GoParseInt, BasesAndErrors) {
  EXPECT_EQ(*GoParseInt("0x10", 0), 16);
  EXPECT_EQ(*GoParseInt("-12", 10), -12);
  EXPECT_EQ(*GoParseInt("ff", 16), 255);
  EXPECT_EQ(GoParseInt("xyz", 16).status().message(),
            "strconv.ParseInt: parsing \"xyz\": invalid syntax");
  EXPECT_EQ(GoParseInt("9223372036854775808", 10).status().message(),
            "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
  EXPECT_EQ(*GoParseUint("8e9e05c52164694d", 16), 0x8e9e05c52164694dULL);
}

TEST(HumanizeBytes, SiUnits) {
  EXPECT_EQ(HumanizeBytes(5), "5 B");
  EXPECT_EQ(HumanizeBytes(20480), "20 kB");
  EXPECT_EQ(HumanizeBytes(1234567), "1.2 MB");
  EXPECT_EQ(HumanizeBytes(999), "999 B");
}

}  // namespace
}  // namespace etcdpp
