#include "wal/segment_name.h"

#include "gtest/gtest.h"

namespace etcdpp::wal {
namespace {

TEST(SegmentNameTest, FormatAndParse) {
  SegmentName n{1, 0x1a};
  EXPECT_EQ(n.ToString(), "0000000000000001-000000000000001a.wal");
  EXPECT_EQ(ParseSegmentName(n.ToString()), n);
  EXPECT_EQ(ParseSegmentName("ffffffffffffffff-0000000000000000.wal"), (SegmentName{~0ull, 0}));
  for (const char* bad :
       {"", "0000000000000001-000000000000001a.wal.tmp", "0000000000000001-000000000000001A.wal",
        "000000000000001-000000000000001a.wal", "0000000000000001_000000000000001a.wal",
        "x000000000000001-000000000000001a.wal"}) {
    EXPECT_FALSE(ParseSegmentName(bad)) << bad;
  }
}

TEST(SegmentNameTest, SearchIndexAndContiguity) {
  // As etcd's TestSearchIndex.
  std::vector<SegmentName> names{{0, 0}, {1, 12}, {2, 13}, {3, 14}, {4, 15}};
  EXPECT_EQ(SearchIndex(names, 13), 2u);
  EXPECT_EQ(SearchIndex(names, 0), 0u);
  EXPECT_EQ(SearchIndex(names, 100), 4u);
  EXPECT_EQ(SearchIndex(names, 11), 0u);
  std::vector<SegmentName> later{{2, 100}, {3, 200}};
  EXPECT_FALSE(SearchIndex(later, 40));
  EXPECT_TRUE(IsContiguous(names, 0));
  std::vector<SegmentName> gap{{0, 0}, {1, 5}, {3, 9}};
  EXPECT_FALSE(IsContiguous(gap, 0));
  EXPECT_TRUE(IsContiguous(gap, 2));
}

}  // namespace
}  // namespace etcdpp::wal
