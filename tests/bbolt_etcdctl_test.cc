// Cross-checks the writer against the real bbolt: stock etcdctl (Debian etcd-client 3.4) opens
// our file with bbolt, runs bbolt's integrity check (Tx.Check) and reports the hash, revision,
// key count and size it computes. Skipped where /usr/bin/etcdctl is not installed.

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backend/bbolt/format.h"
#include "backend/bbolt/writer.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "harness/command.h"

namespace etcdpp::testing {
namespace {

using backend::bbolt::kDefaultPageSize;
using backend::bbolt::StringSink;
using backend::bbolt::WriteDatabase;
using backend::bbolt::Writer;
using backend::bbolt::WriteResult;
using Model = std::map<std::string, std::map<std::string, std::string>>;

absl::StatusOr<std::string> WriteModel(const Model& model, WriteResult* result) {
  StringSink sink;
  absl::StatusOr<WriteResult> r = WriteDatabase(&sink, [&](Writer& w) -> absl::Status {
    for (const auto& [bucket, kvs] : model) {
      RETURN_NOT_OK(w.BeginBucket(bucket));
      for (const auto& [k, v] : kvs) RETURN_NOT_OK(w.Put(k, v));
      RETURN_NOT_OK(w.EndBucket());
    }
    return absl::OkStatus();
  });
  if (!r.ok()) return r.status();
  *result = *r;
  return sink.data();
}

constexpr char kEtcdctl[] = "/usr/bin/etcdctl";

std::string RevKey(int64_t main, int64_t sub, bool tombstone = false) {
  std::string k(17, '\0');
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<char>(main >> (56 - 8 * i));
    k[9 + i] = static_cast<char>(sub >> (56 - 8 * i));
  }
  k[8] = '_';
  if (tombstone) k += 't';
  return k;
}

// What etcd's `snapshot status` computes: CRC-32C over each bucket name then its keys and
// values in order, the main revision of the last key of "key", the number of keys.
struct Expected {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_key = 0;
};
Expected Expect(const Model& m) {
  Expected e;
  for (const auto& [bucket, kvs] : m) {
    e.hash = crc32c::Extend(e.hash, bucket);
    for (const auto& [k, v] : kvs) {
      e.hash = crc32c::Extend(e.hash, k);
      e.hash = crc32c::Extend(e.hash, v);
      ++e.total_key;
      if (bucket == "key") {
        e.revision = 0;
        for (int i = 0; i < 8; ++i) e.revision = e.revision << 8 | static_cast<uint8_t>(k[i]);
      }
    }
  }
  return e;
}

void ExpectEtcdctlAgrees(const Model& m) {
  if (access(kEtcdctl, X_OK) != 0) GTEST_SKIP() << kEtcdctl << " is not installed";
  WriteResult res;
  absl::StatusOr<std::string> data = WriteModel(m, &res);
  ASSERT_TRUE(data.ok()) << data.status();
  char tmpl[] = "/tmp/bbolt_etcdctl_XXXXXX";
  const int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  const std::string path = tmpl;
  ASSERT_EQ(write(fd, data->data(), data->size()), static_cast<ssize_t>(data->size()));
  close(fd);
  int rc = 0;
  const std::string out =
      RunCommand(absl::StrCat("ETCDCTL_API=3 ", kEtcdctl, " snapshot status -w json ", path), &rc);
  ASSERT_EQ(rc, 0) << out;
  const Expected e = Expect(m);
  EXPECT_EQ(JsonInt(out, "hash"), e.hash) << out;
  EXPECT_EQ(JsonInt(out, "revision"), e.revision) << out;
  EXPECT_EQ(JsonInt(out, "totalKey"), e.total_key) << out;
  EXPECT_EQ(JsonInt(out, "totalSize"), static_cast<int64_t>(res.pages * kDefaultPageSize)) << out;
  unlink(path.c_str());
}

TEST(EtcdctlCompatTest, SmallEtcdShapedDatabase) {
  Model m;
  m["alarm"];
  m["auth"]["authRevision"] = std::string("\0\0\0\0\0\0\0\1", 8);
  m["authRoles"];
  m["authUsers"];
  m["cluster"]["clusterVersion"] = "3.4.0";
  m["key"][RevKey(2, 0)] = "kv2";
  m["key"][RevKey(3, 0)] = "kv3";
  m["key"][RevKey(4, 0, true)] = "tomb";
  m["lease"];
  m["members"]["8e9e05c52164694d"] =
      R"({"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default","clientURLs":["http://localhost:2379"]})";
  m["members_removed"];
  m["meta"]["consistent_index"] = std::string("\0\0\0\0\0\0\0\x09", 8);
  ExpectEtcdctlAgrees(m);
}

TEST(EtcdctlCompatTest, LargeDatabaseWithBranchesAndOverflowPages) {
  Model m;
  for (int64_t rev = 1; rev <= 60000; ++rev) {
    m["key"][RevKey(rev, 0)] = std::string(rev % 7 == 0 ? 9000 : 60 + rev % 200, 'a' + rev % 26);
  }
  m["meta"]["consistent_index"] = std::string(8, '\x02');
  for (int i = 0; i < 3000; ++i) m["lease"][absl::StrFormat("%08d", i)] = "lease";
  ExpectEtcdctlAgrees(m);
}

TEST(EtcdctlCompatTest, EmptyDatabase) { ExpectEtcdctlAgrees(Model{}); }

}  // namespace
}  // namespace etcdpp::testing
