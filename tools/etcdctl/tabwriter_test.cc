#include "tabwriter.h"

#include <gtest/gtest.h>

namespace etcdpp::etcdctl {
namespace {

TEST(TabFormat, ColumnsPadWithTabsToTheTabWidth) {
  // Widest cell "compaction" (10) + padding 1 = 11, rounded up to 16: two tabs after "get".
  EXPECT_EQ(TabFormat("\tget\tGets\n\tcompaction\tCompacts\n"),
            "\tget\t\tGets\n\tcompaction\tCompacts\n");
}

TEST(TabFormat, ALineWithoutTabsEndsTheBlock) {
  EXPECT_EQ(TabFormat("a\tx\n\nlonger-cell\ty\n"), "a\tx\n\nlonger-cell\ty\n");
}

TEST(TabFormat, TrailingTextIsNotAColumn) {
  EXPECT_EQ(TabFormat("  -h, --help[=false]\thelp for get\n"),
            "  -h, --help[=false]\thelp for get\n");
  EXPECT_EQ(TabFormat("ab\tc\nabcdefghij\td\n"), "ab\t\tc\nabcdefghij\td\n");
}

}  // namespace
}  // namespace etcdpp::etcdctl
