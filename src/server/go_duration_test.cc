#include "server/go_duration.h"

#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

TEST(GoDurationTest, ParsesWhatGoParses) {
  struct Case {
    const char* text;
    absl::Duration want;
  };
  for (const Case& c :
       {Case{"0", absl::ZeroDuration()}, Case{"-0", absl::ZeroDuration()},
        Case{"1h", absl::Hours(1)}, Case{"30m", absl::Minutes(30)},
        Case{"1h30m", absl::Minutes(90)}, Case{"2s", absl::Seconds(2)},
        Case{"1.5h", absl::Minutes(90)}, Case{".5s", absl::Milliseconds(500)},
        Case{"300ms", absl::Milliseconds(300)}, Case{"10us", absl::Microseconds(10)},
        Case{"10\xc2\xb5s", absl::Microseconds(10)}, Case{"7ns", absl::Nanoseconds(7)},
        Case{"-1.5h", -absl::Minutes(90)}, Case{"+2m3s", absl::Seconds(123)}}) {
    absl::StatusOr<absl::Duration> d = ParseGoDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status();
    EXPECT_EQ(*d, c.want) << c.text;
  }
}

TEST(GoDurationTest, RefusesWithGosMessages) {
  EXPECT_EQ(ParseGoDuration("").status().message(), "time: invalid duration \"\"");
  EXPECT_EQ(ParseGoDuration("abc").status().message(), "time: invalid duration \"abc\"");
  EXPECT_EQ(ParseGoDuration("1.5").status().message(), "time: missing unit in duration \"1.5\"");
  EXPECT_EQ(ParseGoDuration("1d").status().message(),
            "time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_EQ(ParseGoDuration(".s").status().message(), "time: invalid duration \".s\"");
  EXPECT_EQ(ParseGoDuration("3000000h").status().message(), "time: invalid duration \"3000000h\"");
}

TEST(GoDurationTest, FormatsAsGoDoes) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(90)), "1h30m0s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(2)), "2s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(2500)), "2.5s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(200)), "200ms");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(1500)), "1.5ms");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(10)), "10\xc2\xb5s");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(7)), "7ns");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(354)), "5m54s");
  EXPECT_EQ(FormatGoDuration(-absl::Minutes(5)), "-5m0s");
}

}  // namespace
}  // namespace etcdpp::server
