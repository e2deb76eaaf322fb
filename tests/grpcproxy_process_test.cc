// Real-process tests of `etcdpp grpc-proxy start` (src/server/grpcproxy/): a 3-member etcdpp
// cluster behind the proxy, driven by the stock etcdctl through it (put, get, txn, watch,
// lease, member list, endpoint status); the proxy's /health and /metrics; the member the proxy
// talks to killed with SIGKILL, after which clients go on through the proxy; TLS on both sides
// of the proxy; the flags etcdpp refuses by name; --experimental-serializable-ordering moving
// past a member that is behind. With gRPC clients: 10,000 watches of 100 keys
// cost the members 100 watches, each client keeping its own filters and prev_kv; 1,000
// clients keeping one lease alive cost the members one keep-alive stream; watches through the
// proxy go on, with no event lost or repeated, when the proxy's member is killed.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster.h"
#include "harness/command.h"
#include "harness/grpc_util.h"
#include "harness/http_util.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = etcdserverpb;

constexpr char kEtcdctl[] = "/usr/bin/etcdctl";
const std::string kFixtures = "/usr/share/gocode/src/go.etcd.io/etcd/integration/fixtures";

std::string FileText(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Polls `pred` every 100 ms for at most `limit`.
bool Eventually(const std::function<bool()>& pred, absl::Duration limit = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return pred();
}

// A process of this test with stdout and stderr in `log`; SIGKILLed by PID when destroyed.
class Proc {
 public:
  Proc(const std::vector<std::string>& argv, std::string log) : log_(std::move(log)) {
    pid_ = fork();
    if (pid_ != 0) return;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (FILE* f = fopen(log_.c_str(), "a"); f != nullptr) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  ~Proc() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  Proc(const Proc&) = delete;
  Proc& operator=(const Proc&) = delete;
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  std::string Log() const { return FileText(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

class GrpcProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (BinaryUnderTest().empty()) GTEST_SKIP() << "no etcdpp binary configured";
    tmp_ = std::filesystem::temp_directory_path() / absl::StrCat("grpcproxy-test-", getpid());
    std::filesystem::create_directories(tmp_);
  }
  void TearDown() override {
    proxy_.reset();
    if (!HasFailure()) std::filesystem::remove_all(tmp_);
  }

  // Starts `etcdpp grpc-proxy start` in front of `endpoints`; waits for its start line and port.
  void StartProxy(const std::vector<std::string>& endpoints,
                  const std::vector<std::string>& extra = {}) {
    auto port = PickFreePort();
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    addr_ = absl::StrCat("127.0.0.1:", port_);
    std::vector<std::string> argv = {BinaryUnderTest(), "grpc-proxy", "start",
                                     "--endpoints=" + absl::StrJoin(endpoints, ","),
                                     "--listen-addr=" + addr_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proxy_ = std::make_unique<Proc>(argv, (tmp_ / "proxy.log").string());
    ASSERT_TRUE(Eventually(
        [&] {
          return absl::StrContains(proxy_->Log(), "started gRPC proxy") &&
                 PortAcceptsConnections(port_);
        },
        absl::Seconds(15)))
        << proxy_->Log();
  }

  // The stock etcdctl against `endpoint` (the proxy by default), bounded to 20 s.
  std::string Ctl(const std::string& args, int* rc, const std::string& endpoint = "",
                  const std::string& stdin_text = "") {
    std::string cmd = absl::StrCat("env ETCDCTL_API=3 timeout 20 ", kEtcdctl,
                                   " --endpoints=", endpoint.empty() ? addr_ : endpoint, " ", args);
    if (!stdin_text.empty()) {
      const std::string in = (tmp_ / "stdin.txt").string();
      std::ofstream(in) << stdin_text;
      cmd += " < " + in;
    }
    return RunCommand(cmd, rc);
  }

  // The proxy's exit code and output for a command line that must not start it.
  int RunRefused(const std::vector<std::string>& args, std::string* out) {
    int rc = 0;
    *out = RunCommand(absl::StrCat("timeout 10 ", BinaryUnderTest(), " grpc-proxy start ",
                                   absl::StrJoin(args, " ")),
                      &rc);
    return rc;
  }

  std::filesystem::path tmp_;
  int port_ = 0;
  std::string addr_;
  std::unique_ptr<Proc> proxy_;
};

TEST_F(GrpcProxyTest, StockEtcdctlThroughProxy) {
  auto cluster = Cluster::Start(BinaryUnderTest(), 3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Cluster& c = **cluster;
  StartProxy({c.member(0).Endpoint(), c.member(1).Endpoint(), c.member(2).Endpoint()});
  int rc = 0;

  EXPECT_EQ(Ctl("put foo bar", &rc), "OK\n");
  EXPECT_EQ(Ctl("get foo", &rc), "foo\nbar\n");
  // What the proxy wrote is on the members, read directly.
  EXPECT_EQ(Ctl("get foo --consistency=s", &rc, c.member(2).Endpoint()), "foo\nbar\n");
  EXPECT_EQ(Ctl("txn", &rc, "", "value(\"foo\") = \"bar\"\n\nput foo baz\n\nput foo nope\n\n"),
            "SUCCESS\n\nOK\n");
  EXPECT_EQ(Ctl("get foo --print-value-only", &rc), "baz\n");
  EXPECT_EQ(Ctl("del foo", &rc), "1\n");

  // Leases: grant, attach, time-to-live with keys, one keep-alive, revoke.
  std::string grant = Ctl("lease grant 60", &rc);
  ASSERT_EQ(rc, 0) << grant;
  ASSERT_TRUE(absl::StartsWith(grant, "lease ")) << grant;
  const std::string lease = grant.substr(6, grant.find(' ', 6) - 6);
  EXPECT_EQ(Ctl("put lk lv --lease=" + lease, &rc), "OK\n");
  std::string ttl = Ctl("lease timetolive " + lease + " --keys", &rc);
  EXPECT_TRUE(absl::StrContains(ttl, "attached keys([lk])")) << ttl;
  std::string ka = Ctl("lease keep-alive --once " + lease, &rc);
  EXPECT_TRUE(absl::StrContains(ka, "keepalived with TTL(60)")) << ka;
  EXPECT_TRUE(absl::StrContains(Ctl("lease revoke " + lease, &rc), "revoked")) << rc;
  EXPECT_EQ(Ctl("get lk", &rc), "");

  // member list through a proxy lists the proxy (etcd's: its host name and
  // --advertise-client-url, default 127.0.0.1:23790); maintenance calls are forwarded.
  std::string members = Ctl("member list", &rc);
  EXPECT_EQ(rc, 0) << members;
  EXPECT_TRUE(absl::StrContains(members, ", 127.0.0.1:23790, false")) << members;
  EXPECT_EQ(std::count(members.begin(), members.end(), '\n'), 1) << members;
  std::string status = Ctl("endpoint status", &rc);
  EXPECT_EQ(rc, 0) << status;
  EXPECT_TRUE(absl::StrContains(status, addr_)) << status;

  // A watch through the proxy sees puts made directly on a member.
  Proc watch({kEtcdctl, "--endpoints=" + addr_, "watch", "wkey", "--prefix"},
             (tmp_ / "watch.log").string());
  ASSERT_TRUE(Eventually([&] {
    Ctl("put wkey1 v1", &rc, c.member(1).Endpoint());
    return absl::StrContains(watch.Log(), "PUT\nwkey1\nv1\n");
  })) << watch.Log();

  // The proxy's own /health (a read through it) and /metrics (the calls it forwarded).
  absl::StatusOr<HttpReply> health = HttpDo(port_, "GET", "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "{\"health\":\"true\"}");
  absl::StatusOr<std::map<std::string, double>> m = Scrape(port_);
  ASSERT_TRUE(m.ok()) << m.status();
  const std::string put_ok =
      "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Put\","
      "grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
  EXPECT_EQ((*m)[put_ok], 2) << put_ok;  // put foo, put lk
  absl::StatusOr<HttpReply> other = HttpDo(port_, "GET", "/v3/kv/range");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 404);
  if (HasFailure()) c.KeepTempDirs();
}

TEST_F(GrpcProxyTest, ClientsGoOnWhenTheProxysMemberIsKilled) {
  auto cluster = Cluster::Start(BinaryUnderTest(), 3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Cluster& c = **cluster;
  // The proxy starts with its first endpoint: member 0 is the one it talks to.
  StartProxy({c.member(0).Endpoint(), c.member(1).Endpoint(), c.member(2).Endpoint()});
  int rc = 0;
  ASSERT_EQ(Ctl("put before 1", &rc), "OK\n");
  Proc watch({kEtcdctl, "--endpoints=" + addr_, "watch", "wk"}, (tmp_ / "watch.log").string());
  ASSERT_TRUE(Eventually([&] {
    Ctl("put wk v1", &rc);
    return absl::StrContains(watch.Log(), "wk\nv1\n");
  })) << watch.Log();

  ASSERT_TRUE(c.member(0).Kill().ok());
  // Writes through the proxy succeed again once it moved to a live member and a leader is
  // elected (bounded retries); each later one succeeds at once.
  ASSERT_TRUE(Eventually([&] { return Ctl("put after 1", &rc) == "OK\n"; }))
      << Ctl("put after 1", &rc) << proxy_->Log();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Ctl(absl::StrCat("put after", i, " v"), &rc), "OK\n");
  }
  EXPECT_EQ(Ctl("get before --print-value-only", &rc), "1\n");
  // The proxy says which member it left.
  EXPECT_TRUE(absl::StrContains(proxy_->Log(), "\"endpoint\":\"" + c.member(0).Endpoint() + "\""))
      << proxy_->Log();
  // The watch (etcdctl re-opens it through the proxy) sees later puts.
  ASSERT_TRUE(Eventually([&] {
    Ctl("put wk v2", &rc);
    return absl::StrContains(watch.Log(), "wk\nv2\n");
  })) << watch.Log();
  EXPECT_TRUE(watch.Running());
  if (HasFailure()) c.KeepTempDirs();
}

// --namespace=/a/: every key a client of the proxy names is under /a/, and nothing of /b/ can
// be read, written, deleted, compared or watched through it (each KV and Watch call tried).
TEST_F(GrpcProxyTest, NamespaceConfinesClientsToTheirPrefix) {
  auto member = ServerProcess::Start(BinaryUnderTest(), MemberConfig{}, absl::Seconds(30));
  ASSERT_TRUE(member.ok()) << member.status();
  const std::string direct = (*member)->Endpoint();
  StartProxy({direct}, {"--namespace=/a/"});
  int rc = 0;
  ASSERT_EQ(Ctl("put /b/secret s", &rc, direct), "OK\n");
  ASSERT_EQ(Ctl("put x outside", &rc, direct), "OK\n");

  // Put: lands under /a/; its prev_kv comes back without the prefix.
  EXPECT_EQ(Ctl("put k v1", &rc), "OK\n");
  EXPECT_EQ(Ctl("put k v2 --prev-kv", &rc), "OK\nk\nv1\n");
  EXPECT_EQ(Ctl("get /a/k --print-value-only", &rc, direct), "v2\n");
  // Range: a key, a prefix and "from the key on" stay inside /a/.
  EXPECT_EQ(Ctl("get /b/secret", &rc), "");
  EXPECT_EQ(Ctl("get x", &rc), "");
  EXPECT_EQ(Ctl("get \"\" --from-key", &rc), "k\nv2\n");
  EXPECT_EQ(Ctl("get \"\" --prefix --keys-only", &rc), "k\n\n");
  EXPECT_EQ(Ctl("get a z", &rc), "k\nv2\n");
  // Txn: compares and operations are confined too.
  EXPECT_EQ(Ctl("txn", &rc, "", "value(\"/b/secret\") = \"s\"\n\nput t yes\n\nput t no\n\n"),
            "FAILURE\n\nOK\n");
  EXPECT_EQ(Ctl("txn", &rc, "", "value(\"k\") = \"v2\"\n\nget k\n\n\n"), "SUCCESS\n\nk\nv2\n");
  EXPECT_EQ(Ctl("get /a/t --print-value-only", &rc, direct), "no\n");
  // Delete: everything from "" on is the namespace alone; prev_kvs without the prefix.
  EXPECT_EQ(Ctl("del \"\" --from-key --prev-kv", &rc), "2\nk\nv2\nt\nno\n");
  EXPECT_EQ(Ctl("get /b/secret --print-value-only", &rc, direct), "s\n");
  EXPECT_EQ(Ctl("get x --print-value-only", &rc, direct), "outside\n");
  // Watch: a watch of every key sees the namespace's events alone, keys and prev_kv stripped.
  Proc watch({kEtcdctl, "--endpoints=" + addr_, "watch", "--prev-kv", "--prefix", ""},
             (tmp_ / "nswatch.log").string());
  ASSERT_TRUE(Eventually([&] {
    Ctl("put w 1", &rc);
    return absl::StrContains(watch.Log(), "PUT\nw\n1\n");
  })) << watch.Log();
  EXPECT_EQ(Ctl("put /b/w leak", &rc, direct), "OK\n");
  EXPECT_EQ(Ctl("put w 2", &rc), "OK\n");
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(watch.Log(), "PUT\nw\n1\nw\n2\n"); }))
      << watch.Log();
  EXPECT_FALSE(absl::StrContains(watch.Log(), "leak")) << watch.Log();
  EXPECT_FALSE(absl::StrContains(watch.Log(), "/a/")) << watch.Log();
  // Lease time-to-live lists the namespace's keys alone.
  std::string grant = Ctl("lease grant 60", &rc);
  ASSERT_TRUE(absl::StartsWith(grant, "lease ")) << grant;
  const std::string lease = grant.substr(6, grant.find(' ', 6) - 6);
  EXPECT_EQ(Ctl("put lk v --lease=" + lease, &rc), "OK\n");
  EXPECT_EQ(Ctl("put /b/lk v --lease=" + lease, &rc, direct), "OK\n");
  std::string ttl = Ctl("lease timetolive " + lease + " --keys", &rc);
  EXPECT_TRUE(absl::StrContains(ttl, "attached keys([lk])")) << ttl;
}

TEST_F(GrpcProxyTest, TlsOnBothSides) {
  if (!std::filesystem::exists(kFixtures + "/server3.crt")) GTEST_SKIP() << "no etcd fixtures";
  auto port = PickFreePort();
  ASSERT_TRUE(port.ok());
  const std::string url = absl::StrCat("https://127.0.0.1:", *port);
  MemberConfig mc{.client_port = *port};
  mc.extra_flags = {"--listen-client-urls=" + url,
                    "--advertise-client-urls=" + url,
                    "--cert-file=" + kFixtures + "/server.crt",
                    "--key-file=" + kFixtures + "/server.key.insecure",
                    "--trusted-ca-file=" + kFixtures + "/ca.crt",
                    "--client-cert-auth"};
  auto member = ServerProcess::Start(BinaryUnderTest(), mc, absl::Seconds(30));
  ASSERT_TRUE(member.ok()) << member.status();
  // To the member: a client certificate with an empty Common Name (etcd's rule for proxies).
  // To its clients: the proxy's own certificate.
  StartProxy({url}, {"--cacert=" + kFixtures + "/ca.crt", "--cert=" + kFixtures + "/server3.crt",
                     "--key=" + kFixtures + "/server3.key.insecure",
                     "--cert-file=" + kFixtures + "/server2.crt",
                     "--key-file=" + kFixtures + "/server2.key.insecure"});
  const std::string tls = "--cacert=" + kFixtures + "/ca.crt";
  int rc = 0;
  EXPECT_EQ(Ctl(tls + " put tk tv", &rc, "https://" + addr_), "OK\n");
  EXPECT_EQ(Ctl(tls + " get tk", &rc, "https://" + addr_), "tk\ntv\n");
  // Plaintext clients are not served on a TLS listener.
  std::string plain = Ctl("--dial-timeout=2s get tk", &rc, addr_);
  EXPECT_NE(rc, 0) << plain;
}

TEST_F(GrpcProxyTest, RefusedAndInvalidFlags) {
  std::string out;
  // A client certificate with a Common Name is refused (etcd's message), before serving.
  EXPECT_EQ(RunRefused({"--listen-addr=127.0.0.1:0", "--cert=" + kFixtures + "/server2.crt",
                        "--key=" + kFixtures + "/server2.key.insecure",
                        "--cacert=" + kFixtures + "/ca.crt"},
                       &out),
            1);
  EXPECT_TRUE(absl::StrContains(out, "cert has non empty Common Name (example2.com)")) << out;
  // Flags etcdpp's proxy does not implement are refused by name.
  for (const std::string flag : {"--enable-pprof", "--experimental-leasing-prefix=/l/"}) {
    EXPECT_EQ(RunRefused({"--listen-addr=127.0.0.1:0", flag}, &out), 1) << flag;
    const std::string name = flag.substr(0, flag.find('='));
    EXPECT_TRUE(absl::StrContains(out, name + " is not supported")) << out;
  }
  // etcd's checks of the resolver flags, with its messages.
  EXPECT_EQ(RunRefused({"--resolver-prefix=/p"}, &out), 1);
  EXPECT_EQ(out, "invalid resolver-ttl 0\n");
  EXPECT_EQ(RunRefused({"--resolver-ttl=5"}, &out), 1);
  EXPECT_EQ(out, "invalid resolver-prefix \"\"\n");
  // An unknown cipher suite name fails before anything listens.
  EXPECT_EQ(RunRefused({"--listen-cipher-suites=TLS_NOPE"}, &out), 1);
  EXPECT_TRUE(absl::StrContains(out, "TLS_NOPE")) << out;
}

// --experimental-serializable-ordering: a member whose answers carry a lower revision than the
// proxy has answered with is left for the next one. The proxy's endpoints are member 0 and
// member 1 of a 3-member cluster with a single-member cluster between them: that member is
// "behind" (its revisions are far lower). Without the flag the proxy serves its stale answer.
TEST_F(GrpcProxyTest, SerializableOrderingSkipsMembersThatAreBehind) {
  auto cluster = Cluster::Start(BinaryUnderTest(), 3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Cluster& c = **cluster;
  auto stale = ServerProcess::Start(BinaryUnderTest(), MemberConfig{}, absl::Seconds(30));
  ASSERT_TRUE(stale.ok()) << stale.status();
  int rc = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Ctl(absl::StrCat("put k v", i), &rc, c.member(0).Endpoint()), "OK\n");
  }
  ASSERT_EQ(Ctl("put k2 second", &rc, c.member(0).Endpoint()), "OK\n");
  ASSERT_EQ(Ctl("put k3 third", &rc, c.member(0).Endpoint()), "OK\n");
  ASSERT_EQ(Ctl("put k from-the-stale-member", &rc, (*stale)->Endpoint()), "OK\n");
  StartProxy({c.member(0).Endpoint(), (*stale)->Endpoint(), c.member(1).Endpoint()},
             {"--experimental-serializable-ordering"});
  EXPECT_TRUE(absl::StrContains(proxy_->Log(), "waiting for linearized read from cluster"))
      << proxy_->Log();
  EXPECT_EQ(Ctl("get k --consistency=s --print-value-only", &rc), "v19\n");
  // The proxy's member dies: it moves to the stale one, whose answer goes back in revision,
  // so it moves on again, to member 1. (Each read names a key not read before: the proxy's
  // cache answers repeated serializable reads itself, as etcd's, in front of the ordering.)
  ASSERT_TRUE(c.member(0).Kill().ok());
  std::string got;
  EXPECT_TRUE(Eventually([&] {
    got = Ctl("get k2 --consistency=s --print-value-only", &rc);
    return rc == 0;  // etcdctl may first say it retried while the proxy met the dead member
  })) << got;
  EXPECT_TRUE(absl::EndsWith(got, "\nsecond\n") || got == "second\n") << got << proxy_->Log();
  EXPECT_TRUE(
      absl::StrContains(proxy_->Log(), "member is behind the revision the proxy has answered with"))
      << proxy_->Log();
  // With member 1 gone as well only the stale member is left: etcd's error, never its answer.
  ASSERT_TRUE(c.member(1).Kill().ok());
  EXPECT_TRUE(Eventually([&] {
    got = Ctl("get k3 --consistency=s --print-value-only", &rc);
    return absl::StrContains(got,
                             "etcdclient: no cluster members have a revision higher than "
                             "the previously received revision");
  })) << got;
  EXPECT_NE(rc, 0);
  // Without the flag, the same proxy endpoints serve the stale member's value.
  proxy_.reset();
  StartProxy({c.member(0).Endpoint(), (*stale)->Endpoint()});
  EXPECT_TRUE(Eventually([&] {
    got = Ctl("get k --consistency=s --print-value-only", &rc);
    return got == "from-the-stale-member\n";
  })) << got;
  if (HasFailure()) c.KeepTempDirs();
}

// The sum of one series over the members' /metrics (-1 when one cannot be scraped).
double MembersSum(Cluster& c, const std::string& series) {
  double sum = 0;
  for (int i = 0; i < c.size(); ++i) {
    absl::StatusOr<std::map<std::string, double>> m = Scrape(c.member(i).config().client_port);
    if (!m.ok()) return -1;
    sum += (*m)[series];
  }
  return sum;
}

int64_t Put(pb::KV::Stub& kv, const std::string& k, const std::string& v) {
  pb::PutRequest req;
  req.set_key(k);
  req.set_value(v);
  pb::PutResponse resp;
  auto ctx = ContextWithDeadline(std::chrono::seconds(10));
  grpc::Status s = kv.Put(ctx.get(), req, &resp);
  return s.ok() ? resp.header().revision() : -1;
}

// One Watch stream of a test client through the proxy.
struct WatchStream {
  explicit WatchStream(const std::shared_ptr<grpc::Channel>& ch) : stub(pb::Watch::NewStub(ch)) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(180));
    stream = stub->Watch(&ctx);
  }
  ~WatchStream() {
    ctx.TryCancel();
    pb::WatchResponse r;
    while (stream->Read(&r)) {
    }
    (void)stream->Finish();
  }
  bool Create(const std::string& key, int64_t start = 0, bool prev_kv = false,
              std::vector<pb::WatchCreateRequest::FilterType> filters = {}) {
    pb::WatchRequest req;
    pb::WatchCreateRequest* c = req.mutable_create_request();
    c->set_key(key);
    c->set_start_revision(start);
    c->set_prev_kv(prev_kv);
    for (auto f : filters) c->add_filters(f);
    return stream->Write(req);
  }
  std::unique_ptr<pb::Watch::Stub> stub;
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>> stream;
};

// 10,000 client watches (100 streams, each watching the same 100 keys) cost the members 100
// watches; each event reaches each of them once. Watches of one key with different prev_kv and
// filters share one member watch and each gets its own view; a watch from an old revision gets
// the history, then shares the current watch of its key.
TEST_F(GrpcProxyTest, WatchesCoalesceOnTheMembers) {
  auto cluster = Cluster::Start(BinaryUnderTest(), 3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Cluster& c = **cluster;
  StartProxy({c.member(0).Endpoint(), c.member(1).Endpoint(), c.member(2).Endpoint()});
  auto direct = pb::KV::NewStub(NewChannel(c.member(1).Endpoint()));
  const std::string watchers = "etcd_debugging_mvcc_watcher_total";
  const double before = MembersSum(c, watchers);
  ASSERT_GE(before, 0);

  constexpr int kStreams = 100;
  constexpr int kKeys = 100;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 10; ++i) channels.push_back(NewChannel(addr_));
  std::vector<std::unique_ptr<WatchStream>> streams;
  for (int s = 0; s < kStreams; ++s) {
    streams.push_back(std::make_unique<WatchStream>(channels[s % channels.size()]));
    for (int k = 0; k < kKeys; ++k) ASSERT_TRUE(streams.back()->Create(absl::StrCat("k", k)));
  }
  // Each stream's watches are created in order, with ids 0..99.
  for (auto& ws : streams) {
    for (int k = 0; k < kKeys; ++k) {
      pb::WatchResponse r;
      ASSERT_TRUE(ws->stream->Read(&r));
      ASSERT_TRUE(r.created()) << r.ShortDebugString();
      ASSERT_FALSE(r.canceled()) << r.ShortDebugString();
      ASSERT_EQ(r.watch_id(), k);
    }
  }
  std::map<int, int64_t> rev_of;
  for (int k = 0; k < kKeys; ++k) {
    rev_of[k] = Put(*direct, absl::StrCat("k", k), absl::StrCat("v", k));
    ASSERT_GT(rev_of[k], 0);
  }
  // Every watch sees its key's put once (events of one stream come in revision order).
  for (auto& ws : streams) {
    std::set<int64_t> seen;
    for (int k = 0; k < kKeys; ++k) {
      pb::WatchResponse r;
      ASSERT_TRUE(ws->stream->Read(&r));
      ASSERT_EQ(r.events_size(), 1) << r.ShortDebugString();
      const int key = static_cast<int>(r.watch_id());
      EXPECT_EQ(r.events(0).kv().key(), absl::StrCat("k", key));
      EXPECT_EQ(r.events(0).kv().value(), absl::StrCat("v", key));
      EXPECT_EQ(r.events(0).kv().mod_revision(), rev_of[key]);
      EXPECT_FALSE(r.events(0).has_prev_kv());  // not asked for
      EXPECT_TRUE(seen.insert(r.watch_id()).second) << "repeated: " << r.ShortDebugString();
    }
  }
  // The members hold one watch per key (the proxy's), whatever the number of clients.
  EXPECT_TRUE(Eventually([&] { return MembersSum(c, watchers) - before == kKeys; }))
      << MembersSum(c, watchers) - before;
  absl::StatusOr<std::map<std::string, double>> pm = Scrape(port_);
  ASSERT_TRUE(pm.ok()) << pm.status();
  EXPECT_EQ((*pm)["etcdpp_grpc_proxy_member_watchers"], kKeys);
  EXPECT_EQ((*pm)["etcd_grpc_proxy_watchers_coalescing_total"], kStreams * kKeys - kKeys);
  EXPECT_EQ((*pm)["etcd_grpc_proxy_events_coalescing_total"], (kStreams - 1) * kKeys);

  // One key, four clients with their own settings, one member watch.
  WatchStream f(channels[0]);
  ASSERT_TRUE(f.Create("f", 0, /*prev_kv=*/true));
  ASSERT_TRUE(f.Create("f", 0, /*prev_kv=*/false));
  ASSERT_TRUE(f.Create("f", 0, false, {pb::WatchCreateRequest::NODELETE}));
  ASSERT_TRUE(f.Create("f", 0, false, {pb::WatchCreateRequest::NOPUT}));
  for (int i = 0; i < 4; ++i) {
    pb::WatchResponse r;
    ASSERT_TRUE(f.stream->Read(&r));
    ASSERT_TRUE(r.created()) << r.ShortDebugString();
  }
  ASSERT_GT(Put(*direct, "f", "a"), 0);
  ASSERT_GT(Put(*direct, "f", "b"), 0);
  {
    pb::DeleteRangeRequest del;
    del.set_key("f");
    pb::DeleteRangeResponse resp;
    auto ctx = ContextWithDeadline(std::chrono::seconds(10));
    ASSERT_TRUE(direct->DeleteRange(ctx.get(), del, &resp).ok());
  }
  // Expected per watch id: (event type, prev value or "" for none) in order.
  std::map<int64_t, std::vector<std::string>> got;
  const std::map<int64_t, std::vector<std::string>> want = {
      {0, {"PUT a", "PUT b prev=a", "DELETE prev=b"}},
      {1, {"PUT a", "PUT b", "DELETE"}},
      {2, {"PUT a", "PUT b"}},
      {3, {"DELETE"}}};
  size_t total = 0;
  while (total < 9) {
    pb::WatchResponse r;
    ASSERT_TRUE(f.stream->Read(&r));
    for (const auto& ev : r.events()) {
      std::string d = ev.type() == mvccpb::Event::PUT ? "PUT " + ev.kv().value() : "DELETE";
      if (ev.has_prev_kv()) d += " prev=" + ev.prev_kv().value();
      got[r.watch_id()].push_back(d);
      ++total;
    }
  }
  EXPECT_EQ(got, want);
  EXPECT_TRUE(Eventually([&] { return MembersSum(c, watchers) - before == kKeys + 1; }))
      << MembersSum(c, watchers) - before;

  // A watch from an old revision gets the history from there, then merges into its key's
  // current member watch at the next event.
  WatchStream h(channels[1]);
  ASSERT_TRUE(h.Create("k7", rev_of[7]));
  pb::WatchResponse r;
  ASSERT_TRUE(h.stream->Read(&r));
  ASSERT_TRUE(r.created()) << r.ShortDebugString();
  ASSERT_TRUE(h.stream->Read(&r));
  ASSERT_EQ(r.events_size(), 1) << r.ShortDebugString();
  EXPECT_EQ(r.events(0).kv().mod_revision(), rev_of[7]);
  const int64_t again = Put(*direct, "k7", "again");
  ASSERT_GT(again, 0);
  ASSERT_TRUE(h.stream->Read(&r));
  ASSERT_EQ(r.events_size(), 1) << r.ShortDebugString();
  EXPECT_EQ(r.events(0).kv().mod_revision(), again);
  EXPECT_TRUE(Eventually([&] { return MembersSum(c, watchers) - before == kKeys + 1; }))
      << MembersSum(c, watchers) - before;

  // When every client of a key leaves, the proxy cancels its member watch.
  streams.clear();
  EXPECT_TRUE(Eventually([&] { return MembersSum(c, watchers) - before == 1 + 1; }))
      << MembersSum(c, watchers) - before;  // f, and h's k7
  if (HasFailure()) c.KeepTempDirs();
}

// Serializable reads are answered from the proxy's cache, which the proxy's own writes
// invalidate (etcd's proxy): a write that bypasses the proxy is not seen by a serializable read
// until the proxy writes the key or reads it linearizably; a compaction through the proxy
// fails cached reads of older revisions.
TEST_F(GrpcProxyTest, SerializableReadsComeFromTheCache) {
  auto member = ServerProcess::Start(BinaryUnderTest(), MemberConfig{}, absl::Seconds(30));
  ASSERT_TRUE(member.ok()) << member.status();
  const std::string direct = (*member)->Endpoint();
  StartProxy({direct});
  int rc = 0;
  ASSERT_EQ(Ctl("put k v1", &rc), "OK\n");
  EXPECT_EQ(Ctl("get k --consistency=s --print-value-only", &rc), "v1\n");  // a miss, cached
  ASSERT_EQ(Ctl("put k v2", &rc, direct), "OK\n");                          // behind its back
  EXPECT_EQ(Ctl("get k --consistency=s --print-value-only", &rc), "v1\n");  // a hit: stale
  EXPECT_EQ(Ctl("get k --print-value-only", &rc), "v2\n");                  // linearizable
  EXPECT_EQ(Ctl("get k --consistency=s --print-value-only", &rc), "v2\n");  // refreshed
  ASSERT_EQ(Ctl("put k v3", &rc), "OK\n");                                  // invalidates
  EXPECT_EQ(Ctl("get k --consistency=s --print-value-only", &rc), "v3\n");
  ASSERT_EQ(Ctl("txn", &rc, "", "\nput k v4\n\n\n"), "SUCCESS\n\nOK\n");
  EXPECT_EQ(Ctl("get k --consistency=s --print-value-only", &rc), "v4\n");
  ASSERT_EQ(Ctl("del k", &rc), "1\n");
  EXPECT_EQ(Ctl("get k --consistency=s", &rc), "");

  // A read at an old revision, cached, then compacted away through the proxy.
  ASSERT_EQ(Ctl("put c 1", &rc), "OK\n");
  std::string status = Ctl("get c -w json", &rc);
  const size_t at = status.find("\"revision\":");
  ASSERT_NE(at, std::string::npos) << status;
  const int64_t rev = std::stoll(status.substr(at + 11));
  ASSERT_EQ(Ctl("put c 2", &rc), "OK\n");
  EXPECT_EQ(Ctl(absl::StrCat("get c --consistency=s --print-value-only --rev=", rev), &rc), "1\n");
  ASSERT_EQ(Ctl(absl::StrCat("compaction ", rev + 1), &rc),
            absl::StrCat("compacted revision ", rev + 1, "\n"));
  std::string old = Ctl(absl::StrCat("get c --consistency=s --rev=", rev), &rc);
  EXPECT_NE(rc, 0);
  EXPECT_TRUE(absl::StrContains(old, "required revision has been compacted")) << old;

  absl::StatusOr<std::map<std::string, double>> m = Scrape(port_);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)["etcd_grpc_proxy_cache_hits_total"], 3);  // v1 (stale), v2, the compacted rev
  EXPECT_GE((*m)["etcd_grpc_proxy_cache_misses_total"], 5);
  EXPECT_GE((*m)["etcd_grpc_proxy_cache_keys_total"], 1);
}

// --resolver-prefix: each proxy registers its --advertise-client-url under the prefix as
// etcd's endpoints manager writes it, on a lease it keeps alive, and member list through any of
// them lists the registered proxies; a proxy killed drops out once its lease expires.
TEST_F(GrpcProxyTest, ProxiesRegisterUnderTheResolverPrefix) {
  auto member = ServerProcess::Start(BinaryUnderTest(), MemberConfig{}, absl::Seconds(30));
  ASSERT_TRUE(member.ok()) << member.status();
  const std::string direct = (*member)->Endpoint();
  auto other_port = PickFreePort();
  ASSERT_TRUE(other_port.ok());
  const std::string other = absl::StrCat("127.0.0.1:", *other_port);
  // This proxy's address is known once it started: start the other one first, advertising
  // its own, then this one.
  auto other_proxy = std::make_unique<Proc>(
      std::vector<std::string>{BinaryUnderTest(), "grpc-proxy", "start", "--endpoints=" + direct,
                               "--listen-addr=" + other, "--advertise-client-url=" + other,
                               "--resolver-prefix=/pfx", "--resolver-ttl=3"},
      (tmp_ / "other.log").string());
  int rc = 0;
  ASSERT_TRUE(Eventually([&] { return !Ctl("get /pfx/" + other, &rc, direct).empty(); }))
      << other_proxy->Log();
  // etcd's endpoints manager's value, under its key.
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(Ctl("get /pfx/" + other + " --print-value-only", &rc, direct),
            absl::StrCat("{\"Op\":0,\"Addr\":\"", other, "\",\"Metadata\":\"{\\\"name\\\":\\\"",
                         host, "\\\"}\"}\n"));
  auto port = PickFreePort();
  ASSERT_TRUE(port.ok());
  const std::string self = absl::StrCat("127.0.0.1:", *port);
  StartProxy({direct},
             {"--advertise-client-url=" + self, "--resolver-prefix=/pfx", "--resolver-ttl=3"});
  // member list through either lists both proxies, by host name and address.
  for (const std::string& through : {addr_, other}) {
    ASSERT_TRUE(Eventually([&] {
      std::string list = Ctl("member list", &rc, through);
      return absl::StrContains(list, ", " + std::string(host) + ", , " + self + ", false") &&
             absl::StrContains(list, ", " + std::string(host) + ", , " + other + ", false");
    })) << Ctl("member list", &rc, through);
  }
  EXPECT_TRUE(absl::StrContains(proxy_->Log(), "registered")) << proxy_->Log();
  // The other proxy killed: its lease (3 s) expires, and it leaves the list.
  other_proxy.reset();
  ASSERT_TRUE(Eventually([&] {
    std::string list = Ctl("member list", &rc);
    return absl::StrContains(list, self) && !absl::StrContains(list, other);
  })) << Ctl("member list", &rc);
  EXPECT_EQ(Ctl("get /pfx/" + other, &rc, direct), "");
}

// 1,000 clients keep one lease alive through the proxy: the members see one LeaseKeepAlive
// stream, and every client gets its answer.
TEST_F(GrpcProxyTest, LeaseKeepAlivesShareOneMemberStream) {
  auto cluster = Cluster::Start(BinaryUnderTest(), 3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Cluster& c = **cluster;
  StartProxy({c.member(0).Endpoint(), c.member(1).Endpoint(), c.member(2).Endpoint()});
  auto lease = pb::Lease::NewStub(NewChannel(addr_));
  pb::LeaseGrantRequest grant;
  grant.set_ttl(60);
  pb::LeaseGrantResponse granted;
  {
    auto ctx = ContextWithDeadline(std::chrono::seconds(10));
    ASSERT_TRUE(lease->LeaseGrant(ctx.get(), grant, &granted).ok());
  }
  const std::string started =
      "grpc_server_started_total{grpc_method=\"LeaseKeepAlive\",grpc_service=\"etcdserverpb."
      "Lease\",grpc_type=\"bidi_stream\"}";
  const std::string received =
      "grpc_server_msg_received_total{grpc_method=\"LeaseKeepAlive\",grpc_service=\""
      "etcdserverpb.Lease\",grpc_type=\"bidi_stream\"}";
  const double streams_before = MembersSum(c, started);
  const double msgs_before = MembersSum(c, received);
  ASSERT_GE(streams_before, 0);

  constexpr int kClients = 1000;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 10; ++i) channels.push_back(NewChannel(addr_));
  struct Client {
    std::unique_ptr<pb::Lease::Stub> stub;
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>>
        stream;
  };
  std::vector<std::unique_ptr<Client>> clients;
  pb::LeaseKeepAliveRequest ka;
  ka.set_id(granted.id());
  for (int i = 0; i < kClients; ++i) {
    auto cl = std::make_unique<Client>();
    cl->stub = pb::Lease::NewStub(channels[i % channels.size()]);
    cl->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    cl->stream = cl->stub->LeaseKeepAlive(&cl->ctx);
    ASSERT_TRUE(cl->stream->Write(ka));
    clients.push_back(std::move(cl));
  }
  for (auto& cl : clients) {
    pb::LeaseKeepAliveResponse r;
    ASSERT_TRUE(cl->stream->Read(&r));
    EXPECT_EQ(r.id(), granted.id());
    EXPECT_GT(r.ttl(), 0);
  }
  EXPECT_EQ(MembersSum(c, started) - streams_before, 1);
  const double msgs = MembersSum(c, received) - msgs_before;
  EXPECT_GE(msgs, 1);
  EXPECT_LE(msgs, kClients);
  std::printf("1,000 clients' keep-alives: %.0f keep-alive(s) on the members' one stream\n", msgs);
  for (auto& cl : clients) {
    cl->ctx.TryCancel();
    (void)cl->stream->Finish();
  }
  if (HasFailure()) c.KeepTempDirs();
}

// The proxy's member is killed while watches through it see a stream of puts: the watches go
// on with no error, and every acknowledged put reaches each of them once, in order.
TEST_F(GrpcProxyTest, WatchesResumeWhenTheProxysMemberDies) {
  auto cluster = Cluster::Start(BinaryUnderTest(), 3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Cluster& c = **cluster;
  StartProxy({c.member(0).Endpoint(), c.member(1).Endpoint(), c.member(2).Endpoint()});
  auto ch = NewChannel(addr_);
  WatchStream prefix(ch);
  WatchStream key(ch);
  {
    pb::WatchRequest req;
    req.mutable_create_request()->set_key("r/");
    req.mutable_create_request()->set_range_end("r0");  // the prefix r/
    ASSERT_TRUE(prefix.stream->Write(req));
  }
  ASSERT_TRUE(key.Create("r/7"));
  pb::WatchResponse r;
  ASSERT_TRUE(prefix.stream->Read(&r));
  ASSERT_TRUE(r.created());
  ASSERT_TRUE(key.stream->Read(&r));
  ASSERT_TRUE(r.created());

  // Puts go directly to members 1 and 2 (the survivors), retried until acknowledged.
  std::vector<std::unique_ptr<pb::KV::Stub>> kv;
  kv.push_back(pb::KV::NewStub(NewChannel(c.member(1).Endpoint())));
  kv.push_back(pb::KV::NewStub(NewChannel(c.member(2).Endpoint())));
  constexpr int kPuts = 120;
  std::vector<int64_t> acked;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  for (int i = 0; i < kPuts && absl::Now() < deadline;) {
    if (i == kPuts / 3 && c.member(0).Running()) {
      ASSERT_TRUE(c.member(0).Kill().ok());
    }
    const int64_t rev = Put(*kv[i % 2], absl::StrCat("r/", i % 10), absl::StrCat(i));
    if (rev < 0) {
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    acked.push_back(rev);
    ++i;
  }
  ASSERT_EQ(acked.size(), static_cast<size_t>(kPuts)) << proxy_->Log();
  // A put retried after a lost answer may have been applied twice: each applied put is a
  // revision of its own, so the watch must see every acknowledged one and may see a few more.
  std::vector<int64_t> seen;
  while (seen.empty() || seen.back() < acked.back()) {
    ASSERT_TRUE(prefix.stream->Read(&r)) << prefix.stream->Finish().error_message();
    ASSERT_FALSE(r.canceled()) << r.ShortDebugString();
    for (const auto& ev : r.events()) seen.push_back(ev.kv().mod_revision());
  }
  for (size_t i = 1; i < seen.size(); ++i) {
    ASSERT_LT(seen[i - 1], seen[i]) << "event out of order or repeated at " << i;
  }
  const std::set<int64_t> seen_set(seen.begin(), seen.end());
  for (int64_t rev : acked) EXPECT_TRUE(seen_set.contains(rev)) << "lost revision " << rev;
  // The single-key watch saw its own key's puts, each once.
  std::vector<int64_t> seen7;
  int64_t last7 = 0;
  for (int i = 0; i < kPuts; ++i) {
    if (i % 10 == 7) last7 = acked[i];
  }
  while (seen7.empty() || seen7.back() < last7) {
    ASSERT_TRUE(key.stream->Read(&r));
    ASSERT_FALSE(r.canceled()) << r.ShortDebugString();
    for (const auto& ev : r.events()) {
      EXPECT_EQ(ev.kv().key(), "r/7");
      if (!seen7.empty()) {
        EXPECT_LT(seen7.back(), ev.kv().mod_revision());
      }
      seen7.push_back(ev.kv().mod_revision());
    }
  }
  EXPECT_GE(seen7.size(), static_cast<size_t>(kPuts / 10));
  EXPECT_TRUE(absl::StrContains(proxy_->Log(), "resuming")) << proxy_->Log();
  if (HasFailure()) c.KeepTempDirs();
}

}  // namespace
}  // namespace etcdpp::testing
