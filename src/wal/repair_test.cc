// Mirrors etcd's repair_test.go and the torn-write cases of wal_test.go, with a stricter rule
// (READING in wal/record.h): a damaged final record of the last segment followed by nothing but
// zeroes is cut off, reported in Contents::torn_tail, and appending continues; damage anywhere
// else, or followed by any non-zero byte, is DataLoss naming the file and offset.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wal/record.h"
#include "wal/wal.h"
#include "wal/wal_test_util.h"

namespace etcdpp::wal {
namespace {

using ::testing::HasSubstr;

constexpr Options kOpts{.segment_size = 64 << 10};
const std::string kFirst = "0000000000000000-0000000000000000.wal";

class RepairTest : public WalTestBase {
 protected:
  // Creates a WAL holding entries 1..n, one Save per entry, with no hard state (so the final
  // record is entry n).
  void Fill(uint64_t n, size_t data_size = 100, Options opts = kOpts) {
    auto w = Wal::Create(env_, dir_, "meta", opts);
    ASSERT_TRUE(w.ok()) << w.status();
    for (uint64_t i = 1; i <= n; ++i) {
      ASSERT_TRUE((*w)->Save({}, {Ent(i, 1, std::string(data_size, 'a' + i % 26))}).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  // Entries 1..3, then entries 4..10 of 600 bytes each in one batch (several sectors).
  void WriteBigFinalBatch() {
    auto w = Wal::Create(env_, dir_, "meta", kOpts);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Save({}, Ents(1, 3, 1)).ok());
    std::vector<raft::Entry> big;
    for (uint64_t i = 4; i <= 10; ++i) big.push_back(Ent(i, 1, std::string(600, 'b')));
    ASSERT_TRUE((*w)->Save({}, big).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  // Start offsets of the records in a segment file.
  std::vector<uint64_t> RecordOffsets(const std::string& path) {
    std::string buf = ReadFile(path);
    SegmentReader r(buf, 0);
    std::vector<uint64_t> out;
    Record rec;
    for (uint64_t at = 0; r.Next(&rec) == SegmentReader::Result::kRecord; at = r.offset()) {
      out.push_back(at);
    }
    return out;
  }
  absl::StatusOr<Wal::Contents> ReadAllAndKeep(std::unique_ptr<Wal>* keep = nullptr) {
    auto w = Wal::Open(env_, dir_, {}, kOpts);
    if (!w.ok()) return w.status();
    auto c = (*w)->ReadAll();
    if (keep != nullptr) *keep = std::move(*w);
    return c;
  }
  static std::vector<uint64_t> Indexes(const std::vector<raft::Entry>& ents) {
    std::vector<uint64_t> out;
    for (const auto& e : ents) out.push_back(e.index);
    return out;
  }
  static std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> out;
    for (uint64_t i = from; i <= to; ++i) out.push_back(i);
    return out;
  }
  // A record that ReadAll must report cut: `length` bytes at `offset` of `seg`.
  struct Cut {
    std::string seg;
    uint64_t offset;
    uint64_t length;
  };
  // After a repair that kept entries 1..kept and cut `cut` (none when only zeroes follow the
  // last valid record: that is simply the end): the cut is reported, appending works and
  // survives a reopen, which has nothing to cut.
  void ExpectRepairedTo(uint64_t kept, std::optional<Cut> cut) {
    std::unique_ptr<Wal> w;
    auto c = ReadAllAndKeep(&w);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(Indexes(c->entries), Range(1, kept));
    ASSERT_EQ(c->torn_tail.has_value(), cut.has_value());
    if (cut) {
      EXPECT_EQ(c->torn_tail->path, cut->seg);
      EXPECT_EQ(c->torn_tail->offset, cut->offset);
      EXPECT_EQ(c->torn_tail->length, cut->length);
      EXPECT_FALSE(c->torn_tail->reason.empty());
      EXPECT_THAT(c->torn_tail->ToString(), HasSubstr(cut->seg));
    }
    ASSERT_TRUE(w->Save({2, 2, kept}, {Ent(kept + 1, 2), Ent(kept + 2, 2)}).ok());
    w.reset();
    c = ReadAllAndKeep();
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_FALSE(c->torn_tail.has_value());
    EXPECT_EQ(Indexes(c->entries), Range(1, kept + 2));
    EXPECT_EQ(c->entries.back(), Ent(kept + 2, 2));
    EXPECT_EQ(c->state, (raft::HardState{2, 2, kept}));
  }
  // Start offset and length (up to its padded end) of the last record of a segment file.
  std::pair<uint64_t, uint64_t> LastRecord(const std::string& path) {
    uint64_t at = RecordOffsets(path).back();
    return {at, RecordsEnd(path) - at};
  }
  // Flips one bit of the byte at `offset`.
  void FlipBit(const std::string& path, uint64_t offset) {
    std::string b = ReadFile(path).substr(offset, 1);
    b[0] ^= 0x01;
    WriteAt(path, offset, b);
  }
  void ExpectDataLossAt(const std::string& seg, uint64_t offset) {
    auto c = ReadAllAndKeep();
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
    EXPECT_THAT(std::string(c.status().message()), HasSubstr(seg));
    EXPECT_THAT(std::string(c.status().message()),
                HasSubstr("at offset " + std::to_string(offset)));
    EXPECT_EQ(ReadAllAndKeep().status().code(), absl::StatusCode::kDataLoss);  // not repaired
  }
};

TEST_F(RepairTest, TruncatedMidRecord) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  Truncate(seg, offs.back() + 30);  // inside entry 10
  ExpectRepairedTo(9, Cut{seg, offs.back(), 30});
}

TEST_F(RepairTest, TruncatedInsideALengthField) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  uint64_t at = RecordOffsets(seg).back();
  Truncate(seg, at + 3);
  ExpectRepairedTo(9, Cut{seg, at, 3});
}

// A power loss that kept only the first bytes of the final record (its length field's low
// bytes, the rest zero): nothing of it can have been acknowledged.
TEST_F(RepairTest, TornInsideALengthFieldFollowedByZeroes) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto [at, length] = LastRecord(seg);
  WriteAt(seg, at + 1, std::string(length - 1, '\0'));  // the length field's first byte kept
  ExpectRepairedTo(9, Cut{seg, at, 8});
}

// The same invalid length field with the record's body after it is damage, not a tear.
TEST_F(RepairTest, InvalidLengthFieldFollowedByDataIsDataLoss) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto [at, length] = LastRecord(seg);
  WriteAt(seg, at + 7, std::string(1, '\0'));  // the top byte (0x80 | pad) cleared
  auto c = Wal::Open(env_, dir_, {}, kOpts).value()->ReadAll();
  EXPECT_TRUE(absl::IsDataLoss(c.status())) << c.status();
}

TEST_F(RepairTest, ZeroedTail) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t end = RecordsEnd(seg);
  WriteAt(seg, offs[offs.size() - 2], std::string(end - offs[offs.size() - 2], '\0'));
  ExpectRepairedTo(8, std::nullopt);
}

TEST_F(RepairTest, ZeroedBodyOfTheLastRecord) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto [at, length] = LastRecord(seg);
  WriteAt(seg, at + 8, std::string(length - 8, '\0'));  // length field kept
  ExpectRepairedTo(9, Cut{seg, at, length});
}

TEST_F(RepairTest, GarbageInTheLastRecord) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto [at, length] = LastRecord(seg);
  WriteAt(seg, at + 20, "\xde\xad\xbe\xef garbage");
  ExpectRepairedTo(9, Cut{seg, at, length});
}

// A torn multi-sector batch whose later sectors never reached the disk: the record holding
// the first unwritten sector is cut, and the records before it in the batch are kept.
TEST_F(RepairTest, UnwrittenEndOfTheFinalBatch) {
  WriteBigFinalBatch();
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t entry7 = offs[offs.size() - 4];
  uint64_t sector = (entry7 / kSectorSize + 1) * kSectorSize;  // past entry 7's length field
  WriteAt(seg, sector, std::string(RecordsEnd(seg) - sector, '\0'));
  ExpectRepairedTo(6, Cut{seg, entry7, offs[offs.size() - 3] - entry7});
}

// The same batch with one sector unwritten and the later ones written (a disk may write the
// sectors of one unsynced write in any order). Nothing of it was acknowledged, but a damaged
// acknowledged record followed by more records looks the same, so it is not repaired (etcd's
// isTornEntry, and this WAL before, cut it and everything after it).
TEST_F(RepairTest, UnwrittenSectorInsideTheFinalBatchIsDataLoss) {
  WriteBigFinalBatch();
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t entry7 = offs[offs.size() - 4];
  uint64_t sector = (entry7 / kSectorSize + 1) * kSectorSize;
  WriteAt(seg, sector, std::string(kSectorSize, '\0'));
  ExpectDataLossAt(seg, entry7);
}

// A put of a zero-filled value: its record legitimately holds whole sectors of zeroes. A damaged
// byte in it, with the acknowledged records after it intact, is corruption, not a torn write.
TEST_F(RepairTest, DamagedRecordWithAZeroSectorInTheMiddleIsDataLoss) {
  auto w = Wal::Create(env_, dir_, "meta", kOpts);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Save({}, Ents(1, 4, 1)).ok());
  ASSERT_TRUE((*w)->Save({}, {Ent(5, 1, std::string(2000, '\0'))}).ok());
  for (uint64_t i = 6; i <= 10; ++i) ASSERT_TRUE((*w)->Save({}, {Ent(i, 1)}).ok());
  ASSERT_TRUE((*w)->Close().ok());
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t at = offs[offs.size() - 6];  // entry 5
  FlipBit(seg, at + 8);                 // its crc
  ExpectDataLossAt(seg, at);
}

// A length field of 0 ends the records only when nothing but zeroes follows it.
TEST_F(RepairTest, ZeroedLengthFieldFollowedByRecordsIsDataLoss) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t at = offs[offs.size() - 5];  // entry 6
  WriteAt(seg, at, std::string(kLengthFieldSize, '\0'));
  ExpectDataLossAt(seg, at);
}

// The final record's first bytes reached the disk, the rest never did.
TEST_F(RepairTest, TornFinalRecordIsCutAndReported) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto [at, length] = LastRecord(seg);
  WriteAt(seg, at + 40, std::string(length - 40, '\0'));
  ExpectRepairedTo(9, Cut{seg, at, length});
}

TEST_F(RepairTest, FinalRecordWithABadCrcFollowedByZeroesIsCut) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto [at, length] = LastRecord(seg);
  FlipBit(seg, at + 8);  // its crc
  ExpectRepairedTo(9, Cut{seg, at, length});
}

TEST_F(RepairTest, RepairsOnlyTheLastSegment) {
  Fill(55, 200, Options{.segment_size = 2048});  // 10 entries a segment: the last holds 5
  auto names = Wal::Open(env_, dir_, {}, kOpts).value()->SegmentNamesForTest();
  ASSERT_GT(names.size(), 2u);
  std::string last = SegPath(names.back());
  uint64_t at = RecordOffsets(last).back();
  Truncate(last, at + 16);
  ExpectRepairedTo(54, Cut{last, at, 16});
}

TEST_F(RepairTest, FlippedByteInTheMiddleIsDataLoss) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t at = offs[offs.size() - 5];  // entry 6
  std::string b = ReadFile(seg).substr(at + 40, 1);
  b[0] ^= 0x01;
  WriteAt(seg, at + 40, b);
  auto c = ReadAllAndKeep();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(seg));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("at offset " + std::to_string(at)));
  // Not repaired: the file still fails.
  EXPECT_EQ(ReadAllAndKeep().status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(RepairTest, DamagedLastRecordOfAnEarlierSegmentIsDataLoss) {
  Fill(60, 200, Options{.segment_size = 2048});
  auto names = Wal::Open(env_, dir_, {}, kOpts).value()->SegmentNamesForTest();
  ASSERT_GT(names.size(), 2u);
  std::string seg = SegPath(names[1]);
  uint64_t at = RecordOffsets(seg).back();
  WriteAt(seg, at + 30, "XX");
  auto c = ReadAllAndKeep();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(names[1]));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("at offset " + std::to_string(at)));
}

TEST_F(RepairTest, TruncatedEarlierSegmentIsDataLoss) {
  Fill(60, 200, Options{.segment_size = 2048});
  auto names = Wal::Open(env_, dir_, {}, kOpts).value()->SegmentNamesForTest();
  ASSERT_GT(names.size(), 2u);
  std::string seg = SegPath(names[0]);
  Truncate(seg, RecordOffsets(seg).back() + 16);
  EXPECT_EQ(ReadAllAndKeep().status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(RepairTest, BrokenCrcChainAcrossSegmentsIsDataLoss) {
  Fill(60, 200, Options{.segment_size = 2048});
  auto names = Wal::Open(env_, dir_, {}, kOpts).value()->SegmentNamesForTest();
  ASSERT_GT(names.size(), 2u);
  // The CRC record at the start of segment 1 carries the chain; change the value it carries.
  std::string seg = SegPath(names[1]);
  std::string b = ReadFile(seg).substr(8, 1);
  b[0] ^= 0x10;
  WriteAt(seg, 8, b);
  auto c = ReadAllAndKeep();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("crc chain"));
}

}  // namespace
}  // namespace etcdpp::wal
