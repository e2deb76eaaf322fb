#include "common/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace etcdpp::crc32c {
namespace {

// Vectors from RFC 3720 (iSCSI), appendix B.4, and the classic check value.
TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Value(ascending), 0x46DD794Eu);
  EXPECT_EQ(Value(descending), 0x113FDB5Cu);
  EXPECT_EQ(Value(""), 0u);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  uint32_t whole = Value(data);
  for (size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    uint32_t part = Extend(Value(data.data(), split), data.data() + split, data.size() - split);
    EXPECT_EQ(part, whole) << "split " << split;
  }
}

TEST(Crc32cTest, PortableMatchesDispatch) {
  std::string data;
  for (int i = 0; i < 4099; ++i) data.push_back(static_cast<char>(i * 131 + 17));
  for (size_t len : {0, 1, 3, 8, 15, 64, 4099}) {
    for (size_t off : {0, 1, 5}) {
      if (off + len > data.size()) continue;
      EXPECT_EQ(ExtendPortableForTest(0x1234, data.data() + off, len),
                Extend(0x1234, data.data() + off, len));
    }
  }
  SUCCEED() << "hardware path: " << HardwareAcceleratedForTest();
}

TEST(Crc32cTest, DetectsSingleBitFlip) {
  std::string data(100, 'a');
  uint32_t before = Value(data);
  data[50] ^= 1;
  EXPECT_NE(before, Value(data));
}

}  // namespace
}  // namespace etcdpp::crc32c
