// Real-process tests of the client port's HTTP side: bad input gets a clear HTTP error, no
// connection is held forever, and gRPC on the same port keeps working meanwhile; a watch over
// HTTP delivers events as they happen.

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/http_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ServerProcess::Start(BinaryUnderTest(),
                                  MemberConfig{.extra_flags = {"--max-request-bytes=1024"}});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    port_ = server_->config().client_port;
  }
  void TearDown() override {
    if (HasFailure()) server_->set_keep_temp_dir(true);
    EXPECT_TRUE(server_->Stop().ok());
  }
  // A gRPC Put and Range on the same port still answer.
  void ExpectGrpcWorks() {
    auto ch = NewChannel(server_->Endpoint());
    auto stub = etcdserverpb::KV::NewStub(ch);
    etcdserverpb::PutRequest put;
    put.set_key("grpc");
    put.set_value("ok");
    etcdserverpb::PutResponse pr;
    grpc::Status st = stub->Put(ContextWithDeadline(std::chrono::seconds(5)).get(), put, &pr);
    EXPECT_TRUE(st.ok()) << StatusString(st);
  }
  // An HTTP request on a fresh connection answers with `status`.
  void ExpectHttp(const std::string& request, const std::string& status,
                  const std::string& body_part) {
    RawConn c(port_);
    ASSERT_TRUE(c.connected());
    c.Send(request);
    std::string got = c.ReadUntil(body_part, absl::Seconds(10));
    EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 " + status)) << got;
    EXPECT_TRUE(absl::StrContains(got, body_part)) << got;
  }

  // The server's thread count (/proc/<pid>/status), -1 if unreadable.
  int ServerThreads() {
    std::ifstream in(absl::StrCat("/proc/", server_->pid(), "/status"));
    for (std::string line; std::getline(in, line);) {
      int n = 0;
      if (absl::StartsWith(line, "Threads:") &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(8)), &n))
        return n;
    }
    return -1;
  }

  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
};

TEST_F(GatewayTest, MalformedJsonBadBase64AndUnknownPathGetClearErrors) {
  ExpectHttp(Post("/v3/kv/range", "{\"key\":"), "400", R"({"error":"unexpected EOF")");
  ExpectHttp(Post("/v3/kv/range", R"({"key":"Zm9"})"), "400",
             "illegal base64 data at input byte 0");
  ExpectHttp(Post("/v3/kv/nothing", "{}"), "404", "Not Found");
  ExpectHttp(Post("/nothing", "{}"), "404", "404 page not found");
  ExpectHttp("GARBAGE\r\n\r\n", "400", "Bad Request");
  ExpectGrpcWorks();
}

TEST_F(GatewayTest, BodyOverTheLimitIsRefusedBeforeItIsRead) {
  // --max-request-bytes=1024: the HTTP side takes up to twice (limit + gRPC overhead).
  std::string head = "POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n";
  ExpectHttp(head, "413", "Request Entity Too Large");
  // Within the HTTP limit but over etcd's: the server's own refusal, as etcd words it.
  std::string big(4000, 'A');
  ExpectHttp(Post("/v3/kv/put", R"({"key":"Zm9v","value":")" + big + "\"}"), "400",
             "etcdserver: request is too large");
  ExpectGrpcWorks();
}

TEST_F(GatewayTest, SlowAndSilentClientsAreCutOffWhileOthersAreServed) {
  // Twenty clients that start a body and never finish it, and twenty that say nothing.
  int threads_before = ServerThreads();
  ASSERT_GT(threads_before, 0);
  std::vector<std::unique_ptr<RawConn>> slow, silent;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<RawConn>(port_));
    slow.back()->Send("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"key\"");
    silent.push_back(std::make_unique<RawConn>(port_));
  }
  // They hold no thread: the count does not grow with them (a little slack for gRPC's pool).
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_LE(ServerThreads(), threads_before + 4) << "before: " << threads_before;
  // Meanwhile HTTP and gRPC on the same port answer.
  ExpectHttp(Post("/v3/kv/put", R"({"key":"Zm9v","value":"YmFy"})"), "200", "\"revision\":\"");
  ExpectGrpcWorks();
  // The slow ones get 408 and are closed; the silent ones are closed (bounded waits).
  for (auto& c : slow) {
    bool closed = false;
    std::string got = c->ReadUntil("", absl::Seconds(20), &closed);
    EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 408 Request Timeout")) << got;
    EXPECT_TRUE(closed);
  }
  for (auto& c : silent) {
    bool closed = false;
    std::string got = c->ReadUntil("", absl::Seconds(10), &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(got, "");
  }
  ExpectGrpcWorks();
}

TEST_F(GatewayTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  RawConn c(port_);
  c.Send(Post("/v3/kv/put", R"({"key":"YQ==","value":"MQ=="})") +
         Post("/v3/kv/range", R"({"key":"YQ=="})"));
  std::string got = c.ReadUntil("\"count\":\"1\"", absl::Seconds(10));
  EXPECT_TRUE(absl::StrContains(got, "\"value\":\"MQ==\"")) << got;
  c.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  got = c.ReadUntil("{\"health\":\"true\"}", absl::Seconds(10));
  EXPECT_TRUE(absl::StrContains(got, "{\"health\":\"true\"}")) << got;
}

TEST_F(GatewayTest, WatchOverHttpDeliversEventsAsTheyHappen) {
  RawConn w(port_);
  w.Send(Post("/v3/watch", R"({"create_request":{"key":"d2s="}})"));
  std::string got = w.ReadUntil("\"created\":true", absl::Seconds(10));
  if (absl::StartsWith(got, "HTTP/1.1 501")) GTEST_SKIP() << "the Watch service is not built yet";
  ASSERT_TRUE(absl::StrContains(got, "\"created\":true")) << got;
  for (int i = 1; i <= 3; ++i) {
    std::string value = i == 1 ? "MQ==" : i == 2 ? "Mg==" : "Mw==";
    ExpectHttp(Post("/v3/kv/put", R"({"key":"d2s=","value":")" + value + "\"}"), "200", "revision");
    got = w.ReadUntil("\"value\":\"" + value + "\"", absl::Seconds(10));
    EXPECT_TRUE(absl::StrContains(got, "\"value\":\"" + value + "\""))
        << "event " << i << " missing: " << got;
  }
}

TEST_F(GatewayTest, MetricsParseAndMoveWithTheirEvents) {
  absl::StatusOr<std::map<std::string, double>> scraped = Scrape(port_);
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  std::map<std::string, double> before = *scraped;
  for (const char* name : {"etcd_server_has_leader",
                           "etcd_server_is_leader",
                           "etcd_server_leader_changes_seen_total",
                           "etcd_server_proposals_committed_total",
                           "etcd_server_proposals_applied_total",
                           "etcd_server_proposals_pending",
                           "etcd_server_proposals_failed_total",
                           "etcd_server_version{server_version=\"3.6.0\"}",
                           "etcd_cluster_version{cluster_version=\"3.6\"}",
                           "etcd_disk_wal_fsync_duration_seconds_count",
                           "etcd_disk_backend_commit_duration_seconds_count",
                           "etcd_mvcc_db_total_size_in_bytes",
                           "etcd_mvcc_db_total_size_in_use_in_bytes",
                           "etcd_mvcc_put_total",
                           "etcd_mvcc_delete_total",
                           "etcd_mvcc_range_total",
                           "etcd_mvcc_txn_total",
                           "etcd_debugging_mvcc_keys_total",
                           "process_cpu_seconds_total",
                           "process_resident_memory_bytes",
                           "process_open_fds",
                           "process_max_fds",
                           "process_start_time_seconds"}) {
    EXPECT_TRUE(before.count(name)) << name << " missing";
  }
  EXPECT_EQ(before["etcd_server_has_leader"], 1);
  EXPECT_EQ(before["etcd_server_is_leader"], 1);
  EXPECT_GE(before["etcd_server_leader_changes_seen_total"], 1);
  // One put, range, delete and txn over gRPC.
  auto ch = NewChannel(server_->Endpoint());
  auto kv = etcdserverpb::KV::NewStub(ch);
  etcdserverpb::PutRequest put;
  put.set_key("m");
  etcdserverpb::PutResponse pr;
  ASSERT_TRUE(kv->Put(ContextWithDeadline(std::chrono::seconds(5)).get(), put, &pr).ok());
  etcdserverpb::RangeRequest rr;
  rr.set_key("m");
  etcdserverpb::RangeResponse rresp;
  ASSERT_TRUE(kv->Range(ContextWithDeadline(std::chrono::seconds(5)).get(), rr, &rresp).ok());
  // etcd counts a txn in etcd_mvcc_txn_total when it makes more than one range, put or delete
  // (metricsTxnWrite.End); an empty txn makes none.
  etcdserverpb::TxnRequest txn;
  for (int i = 0; i < 2; ++i) txn.add_success()->mutable_request_range()->set_key("m");
  etcdserverpb::TxnResponse tresp;
  ASSERT_TRUE(kv->Txn(ContextWithDeadline(std::chrono::seconds(5)).get(), txn, &tresp).ok());
  etcdserverpb::DeleteRangeRequest del;
  del.set_key("none");
  etcdserverpb::DeleteRangeResponse dresp;
  ASSERT_TRUE(
      kv->DeleteRange(ContextWithDeadline(std::chrono::seconds(5)).get(), del, &dresp).ok());
  scraped = Scrape(port_);
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  std::map<std::string, double> after = *scraped;
  EXPECT_GT(after["etcd_mvcc_put_total"], before["etcd_mvcc_put_total"]);
  EXPECT_GT(after["etcd_mvcc_range_total"], before["etcd_mvcc_range_total"]);
  EXPECT_GT(after["etcd_mvcc_txn_total"], before["etcd_mvcc_txn_total"]);
  EXPECT_GT(after["etcd_mvcc_delete_total"], before["etcd_mvcc_delete_total"]);
  EXPECT_EQ(after["etcd_debugging_mvcc_keys_total"], before["etcd_debugging_mvcc_keys_total"] + 1);
  EXPECT_GT(after["etcd_server_proposals_committed_total"],
            before["etcd_server_proposals_committed_total"]);
  EXPECT_GT(after["etcd_server_proposals_applied_total"],
            before["etcd_server_proposals_applied_total"]);
  EXPECT_GT(after["etcd_disk_wal_fsync_duration_seconds_count"],
            before["etcd_disk_wal_fsync_duration_seconds_count"]);
  // The backend commits its batch within --backend-batch-interval (100 ms): bounded wait.
  const std::string commits = "etcd_disk_backend_commit_duration_seconds_count";
  for (int i = 0; i < 100 && after[commits] <= before[commits]; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    if (auto again = Scrape(port_); again.ok()) after[commits] = (*again)[commits];
  }
  EXPECT_GT(after[commits], before[commits]);
  const std::string put_labels =
      "{grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
  EXPECT_EQ(after["grpc_server_started_total" + put_labels],
            before["grpc_server_started_total" + put_labels] + 1);
  EXPECT_EQ(after["grpc_server_msg_received_total" + put_labels],
            before["grpc_server_msg_received_total" + put_labels] + 1);
  EXPECT_EQ(after["grpc_server_msg_sent_total" + put_labels],
            before["grpc_server_msg_sent_total" + put_labels] + 1);
  const std::string ok =
      "{grpc_code=\"OK\",grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
  EXPECT_EQ(after["grpc_server_handled_total" + ok], before["grpc_server_handled_total" + ok] + 1);
  EXPECT_GT(after["process_open_fds"], 0);
  EXPECT_GT(after["process_resident_memory_bytes"], 1e6);
}

}  // namespace
}  // namespace etcdpp::testing
