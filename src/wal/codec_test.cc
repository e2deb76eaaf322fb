#include "wal/codec.h"

#include "gtest/gtest.h"

namespace etcdpp::wal {
namespace {

TEST(CodecTest, EntryRoundTrip) {
  for (const raft::Entry& e :
       {raft::Entry{}, raft::Entry{7, 1ull << 40, raft::EntryType::kConfChange, "cc"},
        raft::Entry{~0ull, ~0ull, raft::EntryType::kNormal, std::string(1000, '\0')}}) {
    auto got = DecodeEntry(EncodeEntry(e));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, e);
  }
}

TEST(CodecTest, HardStateAndSnapshotRoundTrip) {
  raft::HardState st{3, 2, 1ull << 33};
  EXPECT_EQ(*DecodeHardState(EncodeHardState(st)), st);
  WalSnapshot snap{100, 4};
  EXPECT_EQ(*DecodeSnapshot(EncodeSnapshot(snap)), snap);
}

TEST(CodecTest, RejectsMalformed) {
  EXPECT_FALSE(DecodeEntry("").ok());
  EXPECT_FALSE(DecodeEntry(std::string("\x01\x01", 2)).ok());      // no type byte
  EXPECT_FALSE(DecodeEntry(std::string("\x01\x01\x07", 3)).ok());  // unknown type
  EXPECT_FALSE(DecodeHardState(EncodeHardState({1, 2, 3}) + "x").ok());
  EXPECT_FALSE(DecodeHardState("\x80").ok());                  // truncated varint
  EXPECT_FALSE(DecodeSnapshot(std::string(11, '\xff')).ok());  // overlong varint
}

}  // namespace
}  // namespace etcdpp::wal
