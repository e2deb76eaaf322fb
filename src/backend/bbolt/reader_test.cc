#include "backend/bbolt/reader.h"

#include <functional>
#include <string>

#include "absl/strings/str_format.h"
#include "backend/bbolt/bbolt_test_util.h"
#include "common/status.h"
#include "gtest/gtest.h"

namespace etcdpp::backend::bbolt {
namespace {

using testing::Model;
using testing::TempDir;
using testing::WriteModel;

// Opens the file and reads all of it as `snapshot status` would: Check, then every bucket.
absl::Status ReadAll(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, Reader::Open(path));
  RETURN_NOT_OK(r->Check());
  absl::Status inner;
  RETURN_NOT_OK(r->ForEach(r->root(), [&](std::string_view k, std::string_view, bool) {
    absl::StatusOr<BucketRef> b = r->Bucket(r->root(), k);
    inner = b.ok() ? r->ForEach(*b, [](auto, auto, bool) { return true; }) : b.status();
    return inner.ok();
  }));
  return inner;
}

Model SampleModel() {
  Model m;
  m["alarm"];
  m["cluster"]["clusterVersion"] = "3.4.0";
  for (int i = 0; i < 2000; ++i) m["key"][absl::StrFormat("%017d", i)] = std::string(100, 'v');
  m["meta"]["consistent_index"] = std::string(8, '\0');
  return m;
}

// Offsets in the sample file (4096-byte pages): page 2 is the first leaf of "key".
constexpr size_t kPage = 4096;
void Set32(std::string* s, size_t at, uint32_t v) { PutU32(s->data() + at, v); }
void Set64(std::string* s, size_t at, uint64_t v) { PutU64(s->data() + at, v); }
// Re-seals both meta pages after their fields were edited.
void Reseal(std::string* s) {
  for (size_t at : {kPageHeaderSize, kPage + kPageHeaderSize}) {
    PutU64(s->data() + at + kMetaChecksumOffset, MetaChecksum(s->data() + at));
  }
}

struct Damage {
  const char* name;
  std::function<void(std::string*)> edit;
  absl::StatusCode code;
  const char* message;  // a part of the error
};

TEST(ReaderTest, DamagedFilesGiveClearErrorsNamingFileAndOffset) {
  const std::string good = *WriteModel(SampleModel());
  const uint64_t pgid = good.size() / kPage;
  const std::vector<Damage> cases = {
      {"empty file", [](std::string* s) { s->clear(); }, absl::StatusCode::kInvalidArgument,
       "too short"},
      {"not bbolt", [](std::string* s) { *s = std::string(3 * kPage, 'x'); },
       absl::StatusCode::kInvalidArgument, "not a bbolt database"},
      {"all zeroes", [](std::string* s) { *s = std::string(s->size(), '\0'); },
       absl::StatusCode::kInvalidArgument, "not a bbolt database"},
      {"truncated inside meta 1", [](std::string* s) { s->resize(kPage + 20); },
       absl::StatusCode::kDataLoss, "truncated"},
      {"truncated by half", [](std::string* s) { s->resize(s->size() / 2); },
       absl::StatusCode::kDataLoss, "truncated"},
      {"last page missing", [](std::string* s) { s->resize(s->size() - kPage); },
       absl::StatusCode::kDataLoss, "truncated"},
      {"both meta checksums wrong",
       [](std::string* s) {
         (*s)[kPageHeaderSize + 20] ^= 1;
         (*s)[kPage + kPageHeaderSize + 20] ^= 1;
       },
       absl::StatusCode::kDataLoss, "checksum mismatch"},
      {"version 3",
       [](std::string* s) {
         Set32(s, kPageHeaderSize + 4, 3);
         Set32(s, kPage + kPageHeaderSize + 4, 3);
         Reseal(s);
       },
       absl::StatusCode::kInvalidArgument, "unsupported bbolt version 3"},
      {"root beyond the high-water mark",
       [&](std::string* s) {
         Set64(s, kPageHeaderSize + 16, pgid + 5);
         Set64(s, kPage + kPageHeaderSize + 16, pgid + 5);
         Reseal(s);
       },
       absl::StatusCode::kDataLoss, "root page"},
      {"page id in a header wrong", [](std::string* s) { Set64(s, 2 * kPage, 77); },
       absl::StatusCode::kDataLoss, "has id 77"},
      {"element count beyond the page", [](std::string* s) { (*s)[2 * kPage + 11] = '\x7f'; },
       absl::StatusCode::kDataLoss, "do not fit"},
      {"key position beyond the page",
       [](std::string* s) { Set32(s, 2 * kPage + kPageHeaderSize + 4, 1u << 30); },
       absl::StatusCode::kDataLoss, "out of the page"},
      {"keys out of order",
       [](std::string* s) {
         // the first key of page 2 is "000...0"; make it sort after the second
         const uint32_t pos = GetU32(s->data() + 2 * kPage + kPageHeaderSize + 4);
         (*s)[2 * kPage + kPageHeaderSize + pos] = '9';
       },
       absl::StatusCode::kDataLoss, "out of order"},
      {"overflow past the end", [](std::string* s) { Set32(s, 2 * kPage + 12, 1u << 20); },
       absl::StatusCode::kDataLoss, "overflows"},
      {"page type unknown", [](std::string* s) { (*s)[2 * kPage + 8] = '\x40'; },
       absl::StatusCode::kDataLoss, "where a branch or leaf page belongs"},
      {"freelist names a used page",
       [&](std::string* s) {
         const size_t fl = (pgid - 1) * kPage;
         (*s)[fl + 10] = 1;
         Set64(s, fl + kPageHeaderSize, 2);
       },
       absl::StatusCode::kDataLoss, "reachable freed"},
      {"freelist count too large",
       [&](std::string* s) {
         const size_t fl = (pgid - 1) * kPage;
         (*s)[fl + 10] = '\xff';
         (*s)[fl + 11] = '\xff';
         Set64(s, fl + kPageHeaderSize, uint64_t{1} << 60);
       },
       absl::StatusCode::kDataLoss, "overflows its page"},
  };
  TempDir dir;
  for (const Damage& d : cases) {
    SCOPED_TRACE(d.name);
    std::string bad = good;
    d.edit(&bad);
    const std::string path = dir.File("damaged", bad);
    absl::Status st = ReadAll(path);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), d.code) << st;
    EXPECT_NE(st.message().find(d.message), std::string::npos) << st;
    EXPECT_NE(st.message().find(path), std::string::npos) << st;
    EXPECT_TRUE(st.message().find("offset") != std::string::npos ||
                st.message().find("bytes") != std::string::npos)
        << st;
  }
}

TEST(ReaderTest, OneBadMetaFallsBackToTheOther) {
  std::string data = *WriteModel(SampleModel());
  data[kPageHeaderSize + 30] ^= 0x10;  // meta 0 (the newer one) damaged
  TempDir dir;
  const std::string path = dir.File("db", data);
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->meta().txid, 1u);
  EXPECT_TRUE(ReadAll(path).ok());
}

TEST(ReaderTest, TrailingBytesAfterTheLastPageAreAllowed) {
  std::string data = *WriteModel(SampleModel()) + std::string(32, '\x5a');  // a SHA-256 trailer
  TempDir dir;
  EXPECT_TRUE(ReadAll(dir.File("db", data)).ok());
}

TEST(ReaderTest, MissingFileIsNotFound) {
  auto r = Reader::Open("/nonexistent/bbolt/db");
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
}

// Every byte of the first pages flipped in turn: an error or a clean read, never a crash or a
// hang (a loop in the tree is caught by the key order or the depth limit).
TEST(ReaderTest, FlippingAnyByteNeverCrashes) {
  Model m = SampleModel();
  m["key"].erase(m["key"].lower_bound(absl::StrFormat("%017d", 300)), m["key"].end());
  const std::string good = *WriteModel(m);
  TempDir dir;
  int errors = 0;
  // Every byte of each page's header and first elements, every 37th byte elsewhere.
  for (size_t at = 0; at < good.size(); at += (at % kPage < 160 ? 1 : 37)) {
    std::string bad = good;
    bad[at] ^= static_cast<char>(0x5a);
    if (!ReadAll(dir.File("flip", bad)).ok()) ++errors;
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace etcdpp::backend::bbolt
