// Unit tests of the generator's pure parts: flags, keys, pacing and the report.
#include <gtest/gtest.h>

#include "bench/tool/driver.h"
#include "bench/tool/options.h"
#include "bench/tool/report.h"
#include "bench/tool/workload.h"

namespace etcdpp::bench {
namespace {

[[nodiscard]] absl::StatusOr<Options> Parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  static char prog[] = "etcdpp-bench";
  argv.push_back(prog);
  for (auto& a : args) argv.push_back(a.data());
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(OptionsTest, GoStyleFlagsAndWorkloadDefaults) {
  auto o = Parse({"--endpoints=http://127.0.0.1:1,127.0.0.1:2", "-conns", "10", "--clients", "100",
                  "put", "--val-size=256", "--sequential-keys", "--json"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->workload, "put");
  EXPECT_EQ(o->endpoints.size(), 2u);
  EXPECT_EQ(o->conns, 10);
  EXPECT_EQ(o->clients, 100);
  EXPECT_TRUE(o->sequential_keys);
  EXPECT_TRUE(o->json);
  ApplyWorkloadDefaults(&*o);
  EXPECT_EQ(o->key_size, 8);
  EXPECT_EQ(o->val_size, 256);
  EXPECT_EQ(o->total, 10000);
  EXPECT_EQ(o->threads, 2);
}

TEST(OptionsTest, DurationMakesTotalUnlimitedAndWatchLatencyDefaults) {
  auto o = Parse({"watch-latency", "--duration", "1m30s"});
  ASSERT_TRUE(o.ok());
  ApplyWorkloadDefaults(&*o);
  EXPECT_DOUBLE_EQ(o->duration_s, 90);
  EXPECT_EQ(o->total, INT64_MAX);
  EXPECT_EQ(o->key_size, 32);
  EXPECT_EQ(o->put_rate, 100);
}

TEST(OptionsTest, RejectsUnknownFlagAndBadConsistency) {
  EXPECT_FALSE(Parse({"put", "--nope", "1"}).ok());
  EXPECT_FALSE(Parse({"range", "k", "--consistency", "x"}).ok());
  EXPECT_TRUE(Parse({"range", "k", "--consistency", "s", "--precise"}).ok());
}

TEST(OptionsTest, UserSplitsAtTheFirstColonAsEtcdctl) {
  auto o = Parse({"--user", "bench:pa:ss", "put"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->user, "bench");
  EXPECT_EQ(o->password, "pa:ss");
  o = Parse({"--user=root:", "put"});  // an empty password is a password
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->user, "root");
  EXPECT_EQ(o->password, "");
  o = Parse({"put"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->user, "");  // auth off
}

TEST(OptionsTest, UserWithoutPasswordOrNameIsRejectedWithoutEchoingIt) {
  for (const char* bad : {"bench", ":secret", ""}) {
    auto o = Parse({"--user", bad, "put"});
    ASSERT_FALSE(o.ok()) << bad;
    EXPECT_EQ(o.status().message(), "bad value for --user: want NAME:PASSWORD");
  }
  auto o = Parse({"put", "--user"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().message(), "--user needs a value");
}

TEST(OptionsTest, KeyPrefixComesBeforeTheEtcdKey) {
  auto o = Parse({"--key-prefix", "bench/", "put", "--key-size", "3"});
  ASSERT_TRUE(o.ok()) << o.status();
  ApplyWorkloadDefaults(&*o);
  EXPECT_EQ(WorkloadKey(*o, 1), std::string("bench/\x02\0\0", 9));
  o = Parse({"put"});
  ASSERT_TRUE(o.ok());
  ApplyWorkloadDefaults(&*o);
  EXPECT_EQ(WorkloadKey(*o, 1), BenchKey(1, 8));  // no prefix: etcd's keys, unchanged
}

TEST(KeysTest, BenchKeyIsGoPutVarintPadded) {
  EXPECT_EQ(BenchKey(0, 4), std::string(4, '\0'));
  EXPECT_EQ(BenchKey(1, 3), std::string("\x02\0\0", 3));     // zig-zag 1 -> 2
  EXPECT_EQ(BenchKey(64, 3), std::string("\x80\x01\0", 3));  // 128 in two bytes
  EXPECT_NE(BenchKey(5, 8), BenchKey(6, 8));
}

TEST(PacerTest, SpacesSlotsByTheRate) {
  Pacer p(1000);  // 1 ms apart
  int64_t a = p.Reserve(), b = p.Reserve(), c = p.Reserve();
  EXPECT_GE(b - a, 999'000);
  EXPECT_GE(c - b, 999'000);
  Pacer unlimited(0);
  int64_t before = NowNs();
  int64_t slot = unlimited.Reserve();
  EXPECT_GE(slot, before);
  EXPECT_LE(slot, NowNs());
}

TEST(ReportTest, PercentilesErrorsAndJson) {
  Recorder r(2);
  for (int i = 1; i <= 1000; ++i) r.Ok(0, 0, i * 1'000'000LL);  // 1..1000 ms
  r.Error(0, 5, grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown service"));
  r.Error(0, 6, grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown service"));
  Summary s = Summarize("put", &r, 0, 2.0);
  EXPECT_EQ(s.ok, 1000);
  EXPECT_EQ(s.errors, 2);
  EXPECT_DOUBLE_EQ(s.rps, 500);
  EXPECT_DOUBLE_EQ(s.p50_ms, 500);
  EXPECT_DOUBLE_EQ(s.p99_ms, 990);
  EXPECT_DOUBLE_EQ(s.p999_ms, 999);
  EXPECT_DOUBLE_EQ(s.max_ms, 1000);
  EXPECT_EQ(s.error_counts.at("rpc error: code = Unimplemented desc = unknown service"), 2);
  std::string json = FormatJson("put", {s}, "\"client_cpu_s\":0.5");
  EXPECT_NE(json.find("\"rps\":500.0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"client_cpu_s\":0.5}"), std::string::npos) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace etcdpp::bench
