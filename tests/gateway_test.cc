// Real-process tests of the client port's HTTP side: bad input gets a clear HTTP error, no
// connection is held forever, and gRPC on the same port keeps working meanwhile; a watch over
// HTTP delivers events as they happen.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <regex>
#include <sstream>
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
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

// A raw TCP client with bounded waits.
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawConn() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& s) { (void)!send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }
  // Reads until `until` appears, the peer closes, or `timeout` passes; returns what came.
  std::string ReadUntil(const std::string& until, absl::Duration timeout, bool* closed = nullptr) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline && (until.empty() || !absl::StrContains(buf_, until))) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char b[4096];
      ssize_t n = recv(fd_, b, sizeof(b), 0);
      if (n <= 0) {
        if (closed) *closed = true;
        break;
      }
      buf_.append(b, static_cast<size_t>(n));
    }
    return buf_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string Post(const std::string& path, const std::string& body) {
  return absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: x\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ServerProcess::Start(BinaryUnderTest(), MemberConfig{.extra_flags = {"--max-request-bytes=1024"}});
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
  void ExpectHttp(const std::string& request, const std::string& status, const std::string& body_part) {
    RawConn c(port_);
    ASSERT_TRUE(c.connected());
    c.Send(request);
    std::string got = c.ReadUntil(body_part, absl::Seconds(10));
    EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 " + status)) << got;
    EXPECT_TRUE(absl::StrContains(got, body_part)) << got;
  }

  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
};

TEST_F(GatewayTest, MalformedJsonBadBase64AndUnknownPathGetClearErrors) {
  ExpectHttp(Post("/v3/kv/range", "{\"key\":"), "400", R"({"error":"unexpected EOF")");
  ExpectHttp(Post("/v3/kv/range", R"({"key":"Zm9"})"), "400", "illegal base64 data at input byte 0");
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
  std::vector<std::unique_ptr<RawConn>> slow, silent;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<RawConn>(port_));
    slow.back()->Send("POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"key\"");
    silent.push_back(std::make_unique<RawConn>(port_));
  }
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
  c.Send(Post("/v3/kv/put", R"({"key":"YQ==","value":"MQ=="})") + Post("/v3/kv/range", R"({"key":"YQ=="})"));
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
    EXPECT_TRUE(absl::StrContains(got, "\"value\":\"" + value + "\"")) << "event " << i << " missing: " << got;
  }
}

// A small Prometheus text-format (0.0.4) parser: every sample must belong to a family declared
// by a TYPE line (histograms: _bucket/_sum/_count), labels must be well formed and values
// numbers. Returns sample "name{labels}" -> value; `error` says what did not parse.
std::map<std::string, double> ParseExposition(const std::string& text, std::string* error) {
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    size_t name_end = line.find_first_of("{ ");
    std::string name = line.substr(0, name_end), key = name;
    size_t value_at = name_end;
    if (line[name_end] == '{') {
      size_t close = line.find("} ", name_end);
      if (close == std::string::npos) { *error = "unclosed labels: " + line; return {}; }
      std::string labels = line.substr(name_end + 1, close - name_end - 1);
      static const std::regex kLabels(R"re(([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)re");
      if (!std::regex_match(labels, kLabels)) { *error = "bad labels: " + line; return {}; }
      key = line.substr(0, close + 1);
      value_at = close + 1;
    }
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!types.count(family) && absl::EndsWith(name, suffix)) family = name.substr(0, name.size() - strlen(suffix));
    }
    if (!types.count(family)) { *error = "sample without TYPE: " + line; return {}; }
    double v = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(value_at)), &v)) { *error = "bad value: " + line; return {}; }
    samples[key] = v;
  }
  return samples;
}

std::map<std::string, double> Scrape(int port) {
  RawConn c(port);
  c.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string got = c.ReadUntil("", absl::Seconds(10));
  size_t body = got.find("\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 200")) << got.substr(0, 200);
  std::string error;
  auto samples = ParseExposition(body == std::string::npos ? "" : got.substr(body + 4), &error);
  EXPECT_EQ(error, "");
  return samples;
}

TEST_F(GatewayTest, MetricsParseAndMoveWithTheirEvents) {
  std::map<std::string, double> before = Scrape(port_);
  for (const char* name : {
           "etcd_server_has_leader", "etcd_server_is_leader", "etcd_server_leader_changes_seen_total",
           "etcd_server_proposals_committed_total", "etcd_server_proposals_applied_total",
           "etcd_server_proposals_pending", "etcd_server_proposals_failed_total",
           "etcd_server_version{server_version=\"3.6.0\"}", "etcd_cluster_version{cluster_version=\"3.6\"}",
           "etcd_disk_wal_fsync_duration_seconds_count", "etcd_disk_backend_commit_duration_seconds_count",
           "etcd_mvcc_db_total_size_in_bytes", "etcd_mvcc_db_total_size_in_use_in_bytes",
           "etcd_mvcc_put_total", "etcd_mvcc_delete_total", "etcd_mvcc_range_total", "etcd_mvcc_txn_total",
           "etcd_debugging_mvcc_keys_total", "process_cpu_seconds_total", "process_resident_memory_bytes",
           "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
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
  etcdserverpb::TxnRequest txn;
  etcdserverpb::TxnResponse tresp;
  ASSERT_TRUE(kv->Txn(ContextWithDeadline(std::chrono::seconds(5)).get(), txn, &tresp).ok());
  etcdserverpb::DeleteRangeRequest del;
  del.set_key("none");
  etcdserverpb::DeleteRangeResponse dresp;
  ASSERT_TRUE(kv->DeleteRange(ContextWithDeadline(std::chrono::seconds(5)).get(), del, &dresp).ok());
  std::map<std::string, double> after = Scrape(port_);
  EXPECT_GT(after["etcd_mvcc_put_total"], before["etcd_mvcc_put_total"]);
  EXPECT_GT(after["etcd_mvcc_range_total"], before["etcd_mvcc_range_total"]);
  EXPECT_GT(after["etcd_mvcc_txn_total"], before["etcd_mvcc_txn_total"]);
  EXPECT_GT(after["etcd_mvcc_delete_total"], before["etcd_mvcc_delete_total"]);
  EXPECT_EQ(after["etcd_debugging_mvcc_keys_total"], before["etcd_debugging_mvcc_keys_total"] + 1);
  EXPECT_GT(after["etcd_server_proposals_committed_total"], before["etcd_server_proposals_committed_total"]);
  EXPECT_GT(after["etcd_server_proposals_applied_total"], before["etcd_server_proposals_applied_total"]);
  EXPECT_GT(after["etcd_disk_wal_fsync_duration_seconds_count"], before["etcd_disk_wal_fsync_duration_seconds_count"]);
  const std::string put_labels = "{grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
  EXPECT_EQ(after["grpc_server_started_total" + put_labels], before["grpc_server_started_total" + put_labels] + 1);
  EXPECT_EQ(after["grpc_server_msg_received_total" + put_labels], before["grpc_server_msg_received_total" + put_labels] + 1);
  EXPECT_EQ(after["grpc_server_msg_sent_total" + put_labels], before["grpc_server_msg_sent_total" + put_labels] + 1);
  const std::string ok = "{grpc_code=\"OK\",grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
  EXPECT_EQ(after["grpc_server_handled_total" + ok], before["grpc_server_handled_total" + ok] + 1);
  EXPECT_GT(after["process_open_fds"], 0);
  EXPECT_GT(after["process_resident_memory_bytes"], 1e6);
}

}  // namespace
}  // namespace etcdpp::testing
