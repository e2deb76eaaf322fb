#include "output.h"

#include <gtest/gtest.h>

namespace etcdpp::etcdctl {
namespace {

TEST(RenderTable, AsTablewriterDrawsIt) {
  EXPECT_EQ(RenderTable({"endpoint", "hash"}, {{"127.0.0.1:2379", "2712548611"}}),
            "+----------------+------------+\n"
            "|    ENDPOINT    |    HASH    |\n"
            "+----------------+------------+\n"
            "| 127.0.0.1:2379 | 2712548611 |\n"
            "+----------------+------------+\n");
}

TEST(RenderTable, TitlesReplaceUnderscoresAndCenterLeftBiased) {
  EXPECT_EQ(RenderTable({"raft_term"}, {{"2"}}),
            "+-----------+\n"
            "| RAFT TERM |\n"
            "+-----------+\n"
            "|         2 |\n"
            "+-----------+\n");
}

TEST(Hex, AsFmtFormatsIt) {
  EXPECT_EQ(Hex(0x2e1259d415f2a040ULL), "2e1259d415f2a040");
  EXPECT_EQ(Hex16(0x1234), "0000000000001234");
}

}  // namespace
}  // namespace etcdpp::etcdctl
