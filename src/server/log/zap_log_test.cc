#include "server/log/zap_log.h"

#include <stdlib.h>
#include <time.h>

#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "spdlog/details/log_msg.h"

namespace etcdpp::server::log {
namespace {

class ZapLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }

  // A message logged at 2026-12-07T00:15:39.123456Z from /work/main/src/server/cluster_ops.cc:163.
  static std::string Line(Encoding e, spdlog::level::level_enum level, const std::string& payload,
                          bool with_caller = true) {
    const auto t = spdlog::log_clock::time_point(std::chrono::microseconds(1796602539123456));
    spdlog::source_loc loc;
    if (with_caller) loc = {"/work/main/src/server/cluster_ops.cc", 163, "Publish"};
    spdlog::details::log_msg msg(t, loc, "etcdpp", level,
                                 spdlog::string_view_t(payload.data(), payload.size()));
    std::string out;
    FormatZapLine(e, msg, &out);
    return out;
  }
};

TEST_F(ZapLogTest, JsonLineHasZapsKeysInZapsOrder) {
  EXPECT_EQ(
      Line(Encoding::kJson, spdlog::level::info, "ready to serve client requests"),
      R"({"level":"info","ts":"2026-12-07T00:15:39.123456Z","caller":"server/cluster_ops.cc:163",)"
      R"("msg":"ready to serve client requests"})"
      "\n");
}

TEST_F(ZapLogTest, LevelsAreZapsNames) {
  EXPECT_NE(Line(Encoding::kJson, spdlog::level::trace, "m").find(R"("level":"debug")"),
            std::string::npos);
  EXPECT_NE(Line(Encoding::kJson, spdlog::level::warn, "m").find(R"("level":"warn")"),
            std::string::npos);
  EXPECT_NE(Line(Encoding::kJson, spdlog::level::err, "m").find(R"("level":"error")"),
            std::string::npos);
  EXPECT_NE(Line(Encoding::kJson, spdlog::level::critical, "m").find(R"("level":"fatal")"),
            std::string::npos);
}

TEST_F(ZapLogTest, FieldsFollowTheMessage) {
  std::string payload = With("published local member to cluster through raft",
                             Fields()
                                 .Id("local-member-id", 0x8e9e05c52164694dULL)
                                 .Strs("client-urls", {"http://127.0.0.1:2379", "http://b"})
                                 .Int("index", -3)
                                 .Bool("learner", false)
                                 .Strs("none", {}));
  EXPECT_EQ(Line(Encoding::kJson, spdlog::level::info, payload, false),
            R"({"level":"info","ts":"2026-12-07T00:15:39.123456Z",)"
            R"("msg":"published local member to cluster through raft",)"
            R"("local-member-id":"8e9e05c52164694d",)"
            R"("client-urls":["http://127.0.0.1:2379","http://b"],"index":-3,"learner":false,)"
            R"("none":[]})"
            "\n");
  EXPECT_EQ(Line(Encoding::kConsole, spdlog::level::info, payload),
            "2026-12-07T00:15:39.123456Z\tinfo\tserver/cluster_ops.cc:163\t"
            "published local member to cluster through raft\t"
            R"({"local-member-id": "8e9e05c52164694d", )"
            R"("client-urls": ["http://127.0.0.1:2379", "http://b"], "index": -3, )"
            R"("learner": false, "none": []})"
            "\n");
}

TEST_F(ZapLogTest, AnyMessageBytesStayValidJson) {
  // Quotes, control bytes, invalid UTF-8 and the payload's own marker bytes in a message and in
  // a value: the message is escaped, never split into fields.
  std::string nasty = std::string("a\"b\\c\n\x1e\x1f\x1d\xff", 10);
  EXPECT_EQ(Line(Encoding::kJson, spdlog::level::info, nasty, false),
            R"({"level":"info","ts":"2026-12-07T00:15:39.123456Z",)"
            R"("msg":"a\"b\\c\n\u001e\u001f\u001d\ufffd"})"
            "\n");
  EXPECT_EQ(
      Line(Encoding::kJson, spdlog::level::info, With(nasty, Fields().Str("k", nasty)), false),
      R"({"level":"info","ts":"2026-12-07T00:15:39.123456Z",)"
      R"("msg":"a\"b\\c\n\u001e\u001f\u001d\ufffd","k":"a\"b\\c\n\u001e\u001f\u001d\ufffd"})"
      "\n");
}

TEST_F(ZapLogTest, LocalTimeCarriesItsOffset) {
  ::setenv("TZ", "XYZ-05:30", 1);
  ::tzset();
  EXPECT_NE(Line(Encoding::kJson, spdlog::level::info, "m")
                .find(R"("ts":"2026-12-07T05:45:39.123456+0530")"),
            std::string::npos);
}

TEST_F(ZapLogTest, RefusesJournalBesideOtherOutputs) {
  LogSetup setup;
  setup.outputs = {"systemd/journal", "stderr"};
  absl::Status st = SetUpLogging(setup);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("systemd/journal"), absl::string_view::npos);
}

TEST_F(ZapLogTest, NamesAnOutputFileItCannotOpen) {
  LogSetup setup;
  setup.outputs = {"/nonexistent-dir/etcd.log"};
  absl::Status st = SetUpLogging(setup);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent-dir/etcd.log"), absl::string_view::npos);
}

}  // namespace
}  // namespace etcdpp::server::log
