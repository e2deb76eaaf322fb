#include "backend/bbolt/writer.h"

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "backend/bbolt/bbolt_test_util.h"
#include "backend/bbolt/reader.h"
#include "common/status.h"
#include "gtest/gtest.h"

namespace etcdpp::backend::bbolt {
namespace {

using testing::Model;
using testing::TempDir;
using testing::WriteModel;

// Reads every bucket of the file back into a model, after bbolt's integrity check.
Model ReadBack(const std::string& path, Reader** keep = nullptr) {
  absl::StatusOr<std::unique_ptr<Reader>> r = Reader::Open(path);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  EXPECT_TRUE((*r)->Check().ok()) << (*r)->Check();
  Model m;
  std::vector<std::pair<std::string, std::string>> buckets;
  EXPECT_TRUE((*r)->ForEach((*r)->root(),
                            [&](std::string_view k, std::string_view v, bool b) {
                              EXPECT_TRUE(b) << "plain key in the root bucket";
                              buckets.emplace_back(k, v);
                              return true;
                            })
                  .ok());
  for (const auto& [name, value] : buckets) {
    absl::StatusOr<BucketRef> b = (*r)->Bucket((*r)->root(), name);
    EXPECT_TRUE(b.ok()) << b.status();
    if (!b.ok()) continue;
    auto& kvs = m[name];
    EXPECT_TRUE((*r)->ForEach(*b,
                              [&](std::string_view k, std::string_view v, bool) {
                                kvs.emplace(k, v);
                                return true;
                              })
                    .ok());
  }
  return m;
}

std::string RevKey(int64_t main, int64_t sub) {
  std::string k(17, '\0');
  PutU64(k.data(), __builtin_bswap64(main));
  k[8] = '_';
  PutU64(k.data() + 9, __builtin_bswap64(sub));
  return k;
}

TEST(WriterTest, EmptyDatabaseHasMetasRootLeafAndFreelist) {
  TempDir dir;
  WriteResult res;
  absl::StatusOr<std::string> data = WriteModel({}, &res);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(res.pages, 4u);  // meta, meta, root leaf, freelist
  EXPECT_EQ(data->size(), 4u * 4096);
  std::string path = dir.File("db", *data);
  absl::StatusOr<std::unique_ptr<Reader>> r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->meta().root, 2u);
  EXPECT_EQ((*r)->meta().freelist, 3u);
  EXPECT_EQ((*r)->meta().pgid, 4u);
  EXPECT_EQ((*r)->meta().txid, 2u);  // meta 0; meta 1 has txid 1
  EXPECT_TRUE((*r)->Check().ok());
  EXPECT_TRUE(ReadBack(path).empty());
}

TEST(WriterTest, SmallBucketsAreInlinedLargeOnesGetTrees) {
  TempDir dir;
  Model m;
  m["alarm"];  // empty: inline
  m["cluster"]["clusterVersion"] = "3.4.0";
  for (int i = 1; i <= 50000; ++i) m["key"][RevKey(i, 0)] = std::string(40 + i % 90, 'v');
  m["meta"]["consistent_index"] = std::string(8, '\x01');
  absl::StatusOr<std::string> data = WriteModel(m);
  ASSERT_TRUE(data.ok()) << data.status();
  std::string path = dir.File("db", *data);
  EXPECT_EQ(ReadBack(path), m);

  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok());
  auto cluster = (*r)->Bucket((*r)->root(), "cluster");
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->root, 0u) << "a bucket of one small key is inline";
  auto key = (*r)->Bucket((*r)->root(), "key");
  ASSERT_TRUE(key.ok());
  EXPECT_NE(key->root, 0u);
  auto page = (*r)->Bucket((*r)->root(), "nope");
  EXPECT_TRUE(absl::IsNotFound(page.status()));
}

TEST(WriterTest, LargeValuesOverflowAndManyLevelsOfBranches) {
  TempDir dir;
  Model m;
  m["big"]["a"] = std::string(3 * 4096 + 7, 'x');
  m["big"]["b"] = "small";
  m["big"]["c"] = std::string(70000, 'y');
  // Long keys make few per page, so the tree gets three levels and more.
  for (int i = 0; i < 20000; ++i) m["deep"][absl::StrFormat("%0900d", i)] = "v";
  absl::StatusOr<std::string> data = WriteModel(m);
  ASSERT_TRUE(data.ok()) << data.status();
  std::string path = dir.File("db", *data);
  EXPECT_EQ(ReadBack(path), m);
}

TEST(WriterTest, BucketJustAboveTheInlineLimitGetsAPage) {
  TempDir dir;
  Model m;
  // 16 header + 16 element + 1 key + v bytes: exactly 1024 inlines, 1025 does not.
  m["a"]["k"] = std::string(1024 - 33, 'v');
  m["b"]["k"] = std::string(1024 - 32, 'v');
  absl::StatusOr<std::string> data = WriteModel(m);
  ASSERT_TRUE(data.ok());
  std::string path = dir.File("db", *data);
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->Bucket((*r)->root(), "a")->root, 0u);
  EXPECT_NE((*r)->Bucket((*r)->root(), "b")->root, 0u);
  EXPECT_EQ(ReadBack(path), m);
}

TEST(WriterTest, WritingTwiceGivesTheSameBytes) {
  Model m;
  for (int i = 0; i < 3000; ++i) m["k"][absl::StrFormat("%08d", i)] = std::string(i % 300, 'z');
  EXPECT_EQ(*WriteModel(m), *WriteModel(m));
}

TEST(WriterTest, RefusesKeysOutOfOrderAndMisuse) {
  StringSink sink;
  auto out_of_order = WriteDatabase(&sink, [](Writer& w) -> absl::Status {
    RETURN_NOT_OK(w.BeginBucket("b"));
    RETURN_NOT_OK(w.Put("k2", ""));
    RETURN_NOT_OK(w.Put("k1", ""));
    return w.EndBucket();
  });
  EXPECT_TRUE(absl::IsInvalidArgument(out_of_order.status())) << out_of_order.status();
  EXPECT_NE(out_of_order.status().message().find("out of order"), std::string::npos);
  EXPECT_TRUE(sink.data().empty()) << "nothing reaches the sink when planning fails";

  auto dup_bucket = WriteDatabase(&sink, [](Writer& w) -> absl::Status {
    RETURN_NOT_OK(w.BeginBucket("b"));
    RETURN_NOT_OK(w.EndBucket());
    RETURN_NOT_OK(w.BeginBucket("b"));
    return w.EndBucket();
  });
  EXPECT_TRUE(absl::IsInvalidArgument(dup_bucket.status()));
  auto root_key = WriteDatabase(&sink, [](Writer& w) { return w.Put("k", "v"); });
  EXPECT_TRUE(absl::IsInvalidArgument(root_key.status()));
  auto open = WriteDatabase(&sink, [](Writer& w) { return w.BeginBucket("b"); });
  EXPECT_TRUE(absl::IsInvalidArgument(open.status()));
  auto empty_key = WriteDatabase(&sink, [](Writer& w) -> absl::Status {
    RETURN_NOT_OK(w.BeginBucket("b"));
    return w.Put("", "v");
  });
  EXPECT_TRUE(absl::IsInvalidArgument(empty_key.status()));
}

TEST(WriterTest, ContentsThatChangeBetweenPassesAreAnError) {
  StringSink sink;
  int pass = 0;
  auto r = WriteDatabase(&sink, [&](Writer& w) -> absl::Status {
    const int keys = ++pass == 1 ? 10 : 1000;
    RETURN_NOT_OK(w.BeginBucket("b"));
    for (int i = 0; i < keys; ++i) {
      RETURN_NOT_OK(w.Put(absl::StrFormat("%05d", i), "value"));
    }
    return w.EndBucket();
  });
  EXPECT_TRUE(absl::IsInternal(r.status())) << r.status();
}

class FailingSink : public Sink {
 public:
  explicit FailingSink(size_t limit) : limit_(limit) {}
  absl::Status Write(std::string_view data) override {
    if (written_ + data.size() > limit_) return absl::UnavailableError("client went away");
    written_ += data.size();
    return absl::OkStatus();
  }

 private:
  size_t limit_;
  size_t written_ = 0;
};

TEST(WriterTest, SinkErrorsStopTheWrite) {
  Model m;
  for (int i = 0; i < 3000; ++i) m["k"][absl::StrFormat("%08d", i)] = "v";
  FailingSink sink(5 * 4096);
  auto r = WriteDatabase(&sink, [&](Writer& w) -> absl::Status {
    for (const auto& [b, kvs] : m) {
      RETURN_NOT_OK(w.BeginBucket(b));
      for (const auto& [k, v] : kvs) RETURN_NOT_OK(w.Put(k, v));
      RETURN_NOT_OK(w.EndBucket());
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
}

}  // namespace
}  // namespace etcdpp::backend::bbolt
