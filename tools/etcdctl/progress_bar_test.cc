#include "progress_bar.h"

#include <gtest/gtest.h>

#include "put_load.h"

namespace etcdpp::etcdctl {
namespace {

// Without a terminal width the line is pb.v1's bare counters and percentage.
TEST(ProgressBar, LineWithoutTerminal) {
  ProgressBar bar(60);
  EXPECT_EQ(bar.Line(0, false), " 0 / 60    0.00%");
  bar.Add(60);
  EXPECT_EQ(bar.Line(0, true), " 60 / 60  100.00% 0s");
}

// With a width, the "Bom !" bar fills what the counters and percentage leave.
TEST(ProgressBar, LineWithBar) {
  ProgressBar bar(60);
  EXPECT_EQ(bar.Line(40, false), " 0 / 60 B" + std::string(22, ' ') + "!   0.00%");
  bar.Add(30);
  EXPECT_EQ(bar.Line(40, false),
            " 30 / 60 B" + std::string(10, 'o') + "m" + std::string(10, ' ') + "!  50.00%");
  bar.Add(30);
  std::string full = bar.Line(40, true);
  EXPECT_EQ(full, " 60 / 60 B" + std::string(18, 'o') + "! 100.00% 0s");
  EXPECT_EQ(full.size(), 40u);
}

TEST(ProgressBar, GoSeconds) {
  EXPECT_EQ(GoSeconds(0), "0s");
  EXPECT_EQ(GoSeconds(59), "59s");
  EXPECT_EQ(GoSeconds(60), "1m0s");
  EXPECT_EQ(GoSeconds(3723), "1h2m3s");
}

// The check keys: the prefix and a fixed-size buffer starting with a zig-zag varint.
TEST(RandomKeys, PrefixAndFixedSize) {
  RandomKeys keys("/p/", 256);
  std::string a = keys.Next(), b = keys.Next();
  EXPECT_EQ(a.size(), 3u + 256u);
  EXPECT_EQ(a.substr(0, 3), "/p/");
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace etcdpp::etcdctl
