// --enable-pprof with real processes: /debug/pprof/ answers on the client port (and only with
// the flag), a CPU profile of ?seconds=1 comes back in pprof's legacy format, a second profile
// while one runs is refused as Go refuses it, the heap profile needs jemalloc's profiler
// (MALLOC_CONF=prof:true) and says so without it, and Go-only profiles are refused by name.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/http_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

std::unique_ptr<ServerProcess> StartMember(std::vector<std::string> flags,
                                           std::vector<std::string> env = {}) {
  MemberConfig cfg;
  cfg.extra_flags = std::move(flags);
  cfg.extra_env = std::move(env);
  auto s = ServerProcess::Start(BinaryUnderTest(), cfg);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// The i-th machine word of a legacy CPU profile.
uint64_t Word(const std::string& body, size_t i) {
  uint64_t w = 0;
  if (body.size() >= (i + 1) * sizeof w) std::memcpy(&w, body.data() + i * sizeof w, sizeof w);
  return w;
}

TEST(PprofProcessTest, NotServedWithoutTheFlag) {
  std::unique_ptr<ServerProcess> m = StartMember({});
  ASSERT_NE(m, nullptr);
  absl::StatusOr<HttpReply> r = HttpDo(m->config().client_port, "GET", "/debug/pprof/");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404) << r->head;
  EXPECT_TRUE(m->Stop().ok());
}

TEST(PprofProcessTest, ServesIndexCmdlineAndACpuProfile) {
  std::unique_ptr<ServerProcess> m = StartMember({"--enable-pprof"});
  ASSERT_NE(m, nullptr);
  const int port = m->config().client_port;
  EXPECT_TRUE(absl::StrContains(m->LogTail(400), "pprof is enabled")) << m->LogTail();

  absl::StatusOr<HttpReply> index = HttpDo(port, "GET", "/debug/pprof/");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->status, 200);
  EXPECT_TRUE(absl::StrContains(index->body, "profile?seconds=30")) << index->body;

  absl::StatusOr<HttpReply> cmdline = HttpDo(port, "GET", "/debug/pprof/cmdline");
  ASSERT_TRUE(cmdline.ok()) << cmdline.status();
  EXPECT_EQ(cmdline->status, 200);
  EXPECT_TRUE(absl::StrContains(cmdline->body, std::string("\0--enable-pprof", 15)))
      << cmdline->body;

  // Two profiles asked at about the same time: one runs, the other is refused as Go's handler
  // refuses it (which one depends on which request the server reads first).
  RawConn first(port), second(port);
  ASSERT_TRUE(first.connected() && second.connected());
  first.Send("GET /debug/pprof/profile?seconds=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  second.Send(
      "GET /debug/pprof/profile?seconds=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  int ran = 0, refused = 0;
  for (RawConn* c : {&first, &second}) {
    bool closed = false;
    std::string got = c->ReadUntil("", absl::Seconds(15), &closed);
    EXPECT_TRUE(closed);
    if (absl::StartsWith(got, "HTTP/1.1 200")) {
      ++ran;
      EXPECT_TRUE(absl::StrContains(got, "attachment; filename=\"profile\"")) << got.substr(0, 300);
    } else {
      ++refused;
      EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 500")) << got.substr(0, 300);
      EXPECT_TRUE(absl::EndsWith(
          got, "\r\n\r\nCould not enable CPU profiling: cpu profiling already in use\n"))
          << got;
    }
  }
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(refused, 1);

  // After it, a 1-second profile: the legacy format's header (0, 3, 0, period in us, 0).
  absl::StatusOr<HttpReply> prof = HttpDo(port, "GET", "/debug/pprof/profile?seconds=1");
  ASSERT_TRUE(prof.ok()) << prof.status();
  ASSERT_EQ(prof->status, 200) << prof->head << prof->body;
  EXPECT_EQ(Word(prof->body, 0), 0u);
  EXPECT_EQ(Word(prof->body, 1), 3u);
  EXPECT_EQ(Word(prof->body, 2), 0u);
  EXPECT_EQ(Word(prof->body, 3), 10000u) << "100 Hz, as Go's profiler";
  // The trailer names the mapped objects, the etcdpp binary among them.
  EXPECT_TRUE(absl::StrContains(prof->body, "etcdpp")) << prof->body.size();

  absl::StatusOr<HttpReply> goroutine = HttpDo(port, "GET", "/debug/pprof/goroutine");
  ASSERT_TRUE(goroutine.ok()) << goroutine.status();
  EXPECT_EQ(goroutine->status, 501);
  EXPECT_TRUE(absl::StrContains(goroutine->body, "goroutine is a Go runtime profile"))
      << goroutine->body;
  absl::StatusOr<HttpReply> unknown = HttpDo(port, "GET", "/debug/pprof/nothing");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->body, "Unknown profile\n");

  // Without jemalloc's profiler the heap profile says how to get one.
  absl::StatusOr<HttpReply> heap = HttpDo(port, "GET", "/debug/pprof/heap");
  ASSERT_TRUE(heap.ok()) << heap.status();
  EXPECT_EQ(heap->status, 501);
  EXPECT_TRUE(absl::StrContains(heap->body, "MALLOC_CONF=prof:true")) << heap->body;
  EXPECT_TRUE(m->Stop().ok());
}

// --debug turns pprof on too, as in etcd 3.4; with MALLOC_CONF=prof:true the heap profile is
// jemalloc's heap_v2.
TEST(PprofProcessTest, DebugFlagAndJemallocHeapProfile) {
  std::unique_ptr<ServerProcess> m = StartMember({"--debug"}, {"MALLOC_CONF=prof:true"});
  ASSERT_NE(m, nullptr);
  absl::StatusOr<HttpReply> heap = HttpDo(m->config().client_port, "GET", "/debug/pprof/heap");
  ASSERT_TRUE(heap.ok()) << heap.status();
  if (heap->status == 501 && absl::StrContains(heap->body, "MALLOC_CONF")) {
    // A build on glibc malloc (ETCDPP_JEMALLOC=OFF or no libjemalloc) has no heap profiler.
    GTEST_SKIP() << "etcdpp was not linked with jemalloc";
  }
  EXPECT_EQ(heap->status, 200) << heap->body;
  EXPECT_TRUE(absl::StartsWith(heap->body, "heap_v2/")) << heap->body.substr(0, 200);
  EXPECT_TRUE(m->Stop().ok());
}

}  // namespace
}  // namespace etcdpp::testing
