// Real-process tests of `etcdpp grpc-proxy start` (src/server/grpcproxy/): a 3-member etcdpp
// cluster behind the proxy, driven by the stock etcdctl through it (put, get, txn, watch,
// lease, member list, endpoint status); the proxy's /health and /metrics; the member the proxy
// talks to killed with SIGKILL, after which clients go on through the proxy; TLS on both sides
// of the proxy; the flags etcdpp refuses by name.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster.h"
#include "harness/command.h"
#include "harness/http_util.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

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

  // Cluster and maintenance calls are forwarded: the members' own answers.
  std::string members = Ctl("member list", &rc);
  EXPECT_EQ(rc, 0) << members;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(absl::StrContains(members, c.member(i).PeerUrl())) << members;
  }
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
  for (const std::string flag :
       {"--enable-pprof", "--experimental-leasing-prefix=/l/",
        "--experimental-serializable-ordering", "--discovery-srv=example.com"}) {
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

}  // namespace
}  // namespace etcdpp::testing
