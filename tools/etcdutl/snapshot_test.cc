// etcdutl's printers: go-humanize's sizes and etcdctl's status forms.

#include "tools/etcdutl/snapshot.h"

#include "common/go_text.h"
#include "gtest/gtest.h"

namespace etcdpp::tools {
namespace {

TEST(HumanizeBytesTest, AsGoHumanize) {
  EXPECT_EQ(HumanizeBytes(0), "0 B");
  EXPECT_EQ(HumanizeBytes(9), "9 B");
  EXPECT_EQ(HumanizeBytes(10), "10 B");
  EXPECT_EQ(HumanizeBytes(999), "999 B");
  EXPECT_EQ(HumanizeBytes(1000), "1.0 kB");
  EXPECT_EQ(HumanizeBytes(20480), "20 kB");
  EXPECT_EQ(HumanizeBytes(2105344), "2.1 MB");
  EXPECT_EQ(HumanizeBytes(82854982), "83 MB");
  EXPECT_EQ(HumanizeBytes(uint64_t{1} << 30), "1.1 GB");
}

TEST(FormatSnapshotStatusTest, EveryForm) {
  SnapshotStatus s{0xfe01cf57, 10, 7, 20480};
  EXPECT_EQ(*FormatSnapshotStatus(s, "simple"), "fe01cf57, 10, 7, 20 kB\n");
  EXPECT_EQ(*FormatSnapshotStatus(s, "json"),
            "{\"hash\":4261531479,\"revision\":10,\"totalKey\":7,\"totalSize\":20480}\n");
  EXPECT_EQ(*FormatSnapshotStatus(s, "fields"),
            "\"Hash\" : 4261531479\n\"Revision\" : 10\n\"Keys\" : 7\n\"Size\" : 20480\n");
  EXPECT_EQ(*FormatSnapshotStatus(s, "table"),
            "+----------+----------+------------+------------+\n"
            "|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |\n"
            "+----------+----------+------------+------------+\n"
            "| fe01cf57 |       10 |          7 |      20 kB |\n"
            "+----------+----------+------------+------------+\n");
  EXPECT_TRUE(absl::IsUnimplemented(FormatSnapshotStatus(s, "protobuf").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(FormatSnapshotStatus(s, "yaml").status()));
}

}  // namespace
}  // namespace etcdpp::tools
