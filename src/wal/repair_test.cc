// Mirrors etcd's repair_test.go and the torn-write cases of wal_test.go: a damaged final record
// of the last segment is cut off and appending continues; damage anywhere else is DataLoss
// naming the file and offset.

#include <string>
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
  // After a repair that kept entries 1..kept: appending works and survives a reopen.
  void ExpectRepairedTo(uint64_t kept) {
    std::unique_ptr<Wal> w;
    auto c = ReadAllAndKeep(&w);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(Indexes(c->entries), Range(1, kept));
    ASSERT_TRUE(w->Save({2, 2, kept}, {Ent(kept + 1, 2), Ent(kept + 2, 2)}).ok());
    w.reset();
    c = ReadAllAndKeep();
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(Indexes(c->entries), Range(1, kept + 2));
    EXPECT_EQ(c->entries.back(), Ent(kept + 2, 2));
    EXPECT_EQ(c->state, (raft::HardState{2, 2, kept}));
  }
};

TEST_F(RepairTest, TruncatedMidRecord) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  Truncate(seg, offs.back() + 30);  // inside entry 10
  ExpectRepairedTo(9);
}

TEST_F(RepairTest, TruncatedInsideALengthField) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  Truncate(seg, RecordOffsets(seg).back() + 3);
  ExpectRepairedTo(9);
}

TEST_F(RepairTest, ZeroedTail) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t end = RecordsEnd(seg);
  WriteAt(seg, offs[offs.size() - 2], std::string(end - offs[offs.size() - 2], '\0'));
  ExpectRepairedTo(8);
}

TEST_F(RepairTest, ZeroedBodyOfTheLastRecord) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  uint64_t at = RecordOffsets(seg).back();
  WriteAt(seg, at + 8, std::string(RecordsEnd(seg) - at - 8, '\0'));  // length field kept
  ExpectRepairedTo(9);
}

TEST_F(RepairTest, GarbageInTheLastRecord) {
  Fill(10);
  std::string seg = SegPath(kFirst);
  WriteAt(seg, RecordOffsets(seg).back() + 20, "\xde\xad\xbe\xef garbage");
  ExpectRepairedTo(9);
}

// A torn multi-sector batch: one sector of it never reached the disk but later ones did. The
// leftovers after the cut are zeroed, so a shorter append cannot run into them.
TEST_F(RepairTest, UnwrittenSectorInTheFinalBatch) {
  auto w = Wal::Create(env_, dir_, "meta", kOpts);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Save({}, Ents(1, 3, 1)).ok());
  std::vector<raft::Entry> big;
  for (uint64_t i = 4; i <= 10; ++i) big.push_back(Ent(i, 1, std::string(600, 'b')));
  ASSERT_TRUE((*w)->Save({}, big).ok());
  ASSERT_TRUE((*w)->Close().ok());
  std::string seg = SegPath(kFirst);
  auto offs = RecordOffsets(seg);
  uint64_t entry7 = offs[offs.size() - 4];
  uint64_t sector = (entry7 / kSectorSize + 1) * kSectorSize;
  WriteAt(seg, sector, std::string(kSectorSize, '\0'));
  ExpectRepairedTo(6);
}

TEST_F(RepairTest, RepairsOnlyTheLastSegment) {
  Fill(55, 200, Options{.segment_size = 2048});  // 10 entries a segment: the last holds 5
  auto names = Wal::Open(env_, dir_, {}, kOpts).value()->SegmentNamesForTest();
  ASSERT_GT(names.size(), 2u);
  std::string last = SegPath(names.back());
  Truncate(last, RecordOffsets(last).back() + 16);
  ExpectRepairedTo(54);
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
