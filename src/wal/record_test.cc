#include "wal/record.h"

#include <string>

#include "common/crc32c.h"
#include "gtest/gtest.h"

namespace etcdpp::wal {
namespace {

std::string ThreeRecords(uint32_t* crc) {
  std::string buf;
  AppendRecord(RecordType::kCrc, "", crc, &buf);
  AppendRecord(RecordType::kMetadata, "meta", crc, &buf);
  AppendRecord(RecordType::kEntry, std::string(1000, 'e'), crc, &buf);
  return buf;
}

TEST(RecordTest, FrameIsAlignedAndPadded) {
  uint32_t crc = 0;
  std::string buf;
  AppendRecord(RecordType::kMetadata, "abc", &crc, &buf);  // n = 8: no padding
  EXPECT_EQ(buf.size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(buf[7]), 0u);
  buf.clear();
  AppendRecord(RecordType::kMetadata, "a", &crc, &buf);  // n = 6: 2 bytes of padding
  EXPECT_EQ(buf.size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(buf[0]), 6u);
  EXPECT_EQ(static_cast<uint8_t>(buf[7]), 0x82u);
}

TEST(RecordTest, CrcChainsThroughRecords) {
  uint32_t crc = 0;
  std::string buf;
  AppendRecord(RecordType::kMetadata, "m", &crc, &buf);
  EXPECT_EQ(crc, crc32c::Value(std::string("\x01m", 2)));
  uint32_t first = crc;
  AppendRecord(RecordType::kEntry, "e", &crc, &buf);
  EXPECT_EQ(crc, crc32c::Extend(first, std::string("\x02"
                                                   "e",
                                                   2)));
  AppendRecord(RecordType::kCrc, "", &crc, &buf);  // carries, does not extend
  EXPECT_EQ(crc, crc32c::Extend(first, std::string("\x02"
                                                   "e",
                                                   2)));
}

TEST(RecordTest, ReadsBackThenEndsAtZeroes) {
  uint32_t wcrc = 0;
  std::string buf = ThreeRecords(&wcrc);
  size_t records_end = buf.size();
  buf.append(4096, '\0');  // preallocated space
  SegmentReader r(buf, 0);
  Record rec;
  ASSERT_EQ(r.Next(&rec), SegmentReader::Result::kRecord);
  EXPECT_EQ(rec.type, RecordType::kCrc);
  ASSERT_EQ(r.Next(&rec), SegmentReader::Result::kRecord);
  EXPECT_EQ(rec.type, RecordType::kMetadata);
  EXPECT_EQ(rec.data, "meta");
  ASSERT_EQ(r.Next(&rec), SegmentReader::Result::kRecord);
  EXPECT_EQ(rec.data.size(), 1000u);
  EXPECT_EQ(r.Next(&rec), SegmentReader::Result::kEnd);
  EXPECT_EQ(r.offset(), records_end);
  EXPECT_EQ(r.crc(), wcrc);
}

TEST(RecordTest, CrcRecordMustMatchCarriedCrc) {
  uint32_t crc = 0x1234;
  std::string buf;
  AppendRecord(RecordType::kCrc, "", &crc, &buf);
  Record rec;
  SegmentReader fresh(buf, 0);  // reading starts here: accepted and adopted
  EXPECT_EQ(fresh.Next(&rec), SegmentReader::Result::kRecord);
  EXPECT_EQ(fresh.crc(), 0x1234u);
  SegmentReader chained(buf, 0x9999);
  EXPECT_EQ(chained.Next(&rec), SegmentReader::Result::kBad);
  EXPECT_FALSE(chained.may_be_torn());
}

TEST(RecordTest, TornTailClassification) {
  uint32_t crc = 0;
  std::string good = ThreeRecords(&crc);
  std::string more;
  AppendRecord(RecordType::kEntry, std::string(1000, 'x'), &crc, &more);
  const uint64_t last_at = good.size() - 1016;  // the 1000-byte entry record: 8 + 1005 + 3
  Record rec;
  auto read_to_bad = [&](const std::string& buf) {
    SegmentReader r(buf, 0);
    SegmentReader::Result res;
    while ((res = r.Next(&rec)) == SegmentReader::Result::kRecord) {
    }
    return std::make_pair(res, r);
  };
  {  // truncated mid-record: the cut runs to the end of the buffer
    auto [res, r] = read_to_bad(good.substr(0, good.size() - 100));
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_TRUE(r.may_be_torn());
    EXPECT_EQ(r.bad_offset(), last_at);
    EXPECT_EQ(r.bad_end(), good.size() - 100);
  }
  {  // truncated inside the length field
    auto [res, r] = read_to_bad(good.substr(0, last_at + 3));
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_TRUE(r.may_be_torn());
    EXPECT_EQ(r.bad_end(), last_at + 3);
  }
  {  // garbage in the final record, zeroes after: the cut is the record's extent
    std::string buf = good;
    buf[last_at + 200] ^= 0x55;
    auto [res, r] = read_to_bad(buf + std::string(2048, '\0'));
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_TRUE(r.may_be_torn());
    EXPECT_EQ(r.reason(), "crc mismatch");
    EXPECT_EQ(r.bad_end(), good.size());
  }
  {  // the same damage with a valid record after it is corruption
    std::string buf = good;
    buf[last_at + 200] ^= 0x55;
    auto [res, r] = read_to_bad(buf + more);
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_FALSE(r.may_be_torn());
    EXPECT_EQ(r.bad_offset(), last_at);
  }
  {  // ... and so is any non-zero byte after it
    std::string buf = good;
    buf[last_at + 200] ^= 0x55;
    auto [res, r] = read_to_bad(buf + std::string(2048, '\0') + "x");
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_FALSE(r.may_be_torn());
  }
  {  // a sector of the final record never written, zeroes after: torn
    std::string buf = good + std::string(2048, '\0');
    for (size_t i = 512; i < 1024; ++i) buf[i] = 0;
    auto [res, r] = read_to_bad(buf);
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_TRUE(r.may_be_torn());
  }
  {  // the same with a record after it: not torn (etcd calls it torn; it may have been acked)
    std::string buf = good + more;
    for (size_t i = 512; i < 1024; ++i) buf[i] = 0;
    auto [res, r] = read_to_bad(buf);
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_FALSE(r.may_be_torn());
  }
  {  // non-zero bytes after a zero length field are corruption
    std::string buf = good + std::string(64, '\0') + "junk";
    auto [res, r] = read_to_bad(buf);
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_FALSE(r.may_be_torn());
    EXPECT_EQ(r.bad_offset(), good.size());
  }
  {  // an impossible length field is never torn, even with only zeroes after it
    std::string buf = good + more + std::string(2048, '\0');
    buf[last_at + 6] = 0x11;
    auto [res, r] = read_to_bad(buf);
    EXPECT_EQ(res, SegmentReader::Result::kBad);
    EXPECT_FALSE(r.may_be_torn());
  }
}

}  // namespace
}  // namespace etcdpp::wal
