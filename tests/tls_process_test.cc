// Real-process tests of TLS on the client and peer ports (docs/design/tls.md): gRPC and HTTP/1.1
// on one https port, --client-cert-auth, a CRL, peer TLS from files and auto-TLS in 3-member
// clusters, --peer-cert-allowed-cn, certificate rotation on disk, and startup refusing bad
// certificate flags. Certificates: etcd's own test fixtures, installed with
// golang-etcd-server-dev (scripts/install-deps.sh); rotation copies them into a temp dir.

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

const std::string kFixtures = "/usr/share/gocode/src/go.etcd.io/etcd/integration/fixtures";
std::string Fx(const std::string& name) { return kFixtures + "/" + name; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command (bounded by `timeout` seconds); returns its stdout+stderr and exit code.
std::string Shell(const std::string& cmd, int* rc = nullptr, int timeout = 20) {
  std::string full = absl::StrCat("timeout ", timeout, " ", cmd, " 2>&1");
  FILE* p = popen(full.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p != nullptr && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = p ? pclose(p) : -1;
  if (rc) *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string Curl(const std::string& url, const std::string& cert, const std::string& extra = "") {
  std::string c = cert.empty() ? ""
                               : absl::StrCat(" --cert ", Fx(cert + ".crt"), " --key ",
                                              Fx(cert + ".key.insecure"));
  return Shell(absl::StrCat("curl -sS --cacert ", Fx("ca.crt"), c, " ", extra, " ", url));
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& endpoint, const std::string& cert) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ReadAll(Fx("ca.crt"));
  if (!cert.empty()) {
    o.pem_cert_chain = ReadAll(Fx(cert + ".crt"));
    o.pem_private_key = ReadAll(Fx(cert + ".key.insecure"));
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(endpoint, grpc::SslCredentials(o), args);
}

grpc::Status Put(std::shared_ptr<grpc::Channel> ch, const std::string& k, const std::string& v) {
  auto stub = etcdserverpb::KV::NewStub(ch);
  etcdserverpb::PutRequest req;
  req.set_key(k);
  req.set_value(v);
  etcdserverpb::PutResponse resp;
  return stub->Put(ContextWithDeadline(std::chrono::seconds(5)).get(), req, &resp);
}

// The value of k, or the error.
std::string Get(std::shared_ptr<grpc::Channel> ch, const std::string& k) {
  auto stub = etcdserverpb::KV::NewStub(ch);
  etcdserverpb::RangeRequest req;
  req.set_key(k);
  etcdserverpb::RangeResponse resp;
  grpc::Status st = stub->Range(ContextWithDeadline(std::chrono::seconds(5)).get(), req, &resp);
  if (!st.ok()) return StatusString(st);
  return resp.kvs_size() == 1 ? resp.kvs(0).value() : "<none>";
}

std::vector<std::string> CertFlags(const std::string& prefix, const std::string& cert) {
  return {absl::StrCat("--", prefix, "cert-file=", Fx(cert + ".crt")),
          absl::StrCat("--", prefix, "key-file=", Fx(cert + ".key.insecure")),
          absl::StrCat("--", prefix, "trusted-ca-file=", Fx("ca.crt"))};
}

// Bounded wait for a substring in a file.
bool WaitForLog(const std::string& path, const std::string& what,
                absl::Duration limit = absl::Seconds(30)) {
  absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (absl::StrContains(ReadAll(path), what)) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(Fx("ca.crt"))) GTEST_SKIP() << "etcd's fixtures are not installed";
  }

  // One member with https client URLs and these extra flags.
  std::unique_ptr<ServerProcess> StartOne(std::vector<std::string> flags,
                                          std::string url_scheme = "https") {
    auto port = PickFreePort();
    EXPECT_TRUE(port.ok());
    std::string url = absl::StrCat(url_scheme, "://127.0.0.1:", *port);
    MemberConfig mc{.client_port = *port};
    mc.extra_flags = {"--listen-client-urls=" + url, "--advertise-client-urls=" + url};
    mc.extra_flags.insert(mc.extra_flags.end(), flags.begin(), flags.end());
    auto s = ServerProcess::Start(BinaryUnderTest(), mc, absl::Seconds(30));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // A 3-member cluster with https peer URLs; `flags(i)` gives member i's extra flags.
  std::vector<std::unique_ptr<ServerProcess>> StartThree(
      const std::function<std::vector<std::string>(int)>& flags, bool wait_all = true,
      const std::string& client_scheme = "https") {
    std::vector<MemberConfig> cfgs(3);
    std::vector<std::string> ic;
    for (int i = 0; i < 3; ++i) {
      cfgs[i].name = absl::StrCat("m", i);
      cfgs[i].client_port = *PickFreePort();
      cfgs[i].peer_port = *PickFreePort();
      ic.push_back(absl::StrCat("m", i, "=https://127.0.0.1:", cfgs[i].peer_port));
    }
    std::vector<std::unique_ptr<ServerProcess>> out;
    for (int i = 0; i < 3; ++i) {
      std::string curl = absl::StrCat(client_scheme, "://127.0.0.1:", cfgs[i].client_port);
      std::string purl = absl::StrCat("https://127.0.0.1:", cfgs[i].peer_port);
      cfgs[i].initial_cluster = absl::StrJoin(ic, ",");
      cfgs[i].extra_flags = {"--listen-client-urls=" + curl, "--advertise-client-urls=" + curl,
                             "--listen-peer-urls=" + purl, "--initial-advertise-peer-urls=" + purl};
      for (const std::string& f : flags(i)) cfgs[i].extra_flags.push_back(f);
      auto s = ServerProcess::Create(BinaryUnderTest(), cfgs[i]);
      EXPECT_TRUE(s.ok()) << s.status();
      out.push_back(std::move(*s));
      EXPECT_TRUE(out.back()->Launch().ok());
    }
    for (int i = 0; i < (wait_all ? 3 : 2); ++i) {
      absl::Status st = out[i]->WaitReady(absl::Seconds(40));
      EXPECT_TRUE(st.ok()) << st;
    }
    return out;
  }
};

TEST_F(TlsTest, GrpcAndHttpsShareTheClientPortAndRequireClientCert) {
  std::vector<std::string> f = CertFlags("", "server");
  f.push_back("--client-cert-auth");
  auto s = StartOne(f);
  ASSERT_NE(s, nullptr);
  std::string url = "https://127.0.0.1:" + std::to_string(s->config().client_port);
  auto ch = TlsChannel(s->Endpoint(), "server");
  ASSERT_TRUE(Put(ch, "foo", "bar").ok());
  EXPECT_EQ(Get(ch, "foo"), "bar");
  EXPECT_EQ(Curl(url + "/health", "server"), "{\"health\":\"true\"}");
  EXPECT_TRUE(absl::StrContains(Curl(url + "/v3/kv/range", "server", "-d '{\"key\":\"Zm9v\"}'"),
                                "\"value\":\"YmFy\""));
  // No client certificate: refused on both sides.
  EXPECT_FALSE(Put(TlsChannel(s->Endpoint(), ""), "foo", "x").ok());
  int rc = 0;
  Shell(absl::StrCat("curl -sS --cacert ", Fx("ca.crt"), " ", url, "/health"), &rc);
  EXPECT_NE(rc, 0);
  // Plaintext on an https-only port is never served.
  std::string plain =
      Shell(absl::StrCat("curl -sS http://127.0.0.1:", s->config().client_port, "/health"), &rc);
  EXPECT_TRUE(absl::StrContains(plain, "Client sent an HTTP request to an HTTPS server")) << plain;
  EXPECT_FALSE(Put(NewChannel(s->Endpoint()), "foo", "x").ok());
  EXPECT_EQ(Get(ch, "foo"), "bar");
}

// Go's boolean spellings turn the check on too (--client-cert-auth=True was once read as false,
// serving every client without a certificate); one that Go does not read stops start-up.
TEST_F(TlsTest, ClientCertAuthSpelledTheWaysGoReads) {
  for (const char* form : {"--client-cert-auth=True", "--client-cert-auth=T"}) {
    std::vector<std::string> f = CertFlags("", "server");
    f.push_back(form);
    auto s = StartOne(f);
    ASSERT_NE(s, nullptr) << form;
    EXPECT_TRUE(Put(TlsChannel(s->Endpoint(), "server"), "foo", "bar").ok()) << form;
    EXPECT_FALSE(Put(TlsChannel(s->Endpoint(), ""), "foo", "x").ok()) << form << ": no certificate";
  }
  std::vector<std::string> f = CertFlags("", "server");
  f.push_back("--client-cert-auth=yes");
  MemberConfig cfg;
  cfg.extra_flags = f;
  auto bad = ServerProcess::Create(BinaryUnderTest(), cfg);
  ASSERT_TRUE(bad.ok());
  ASSERT_TRUE((*bad)->Launch().ok());
  EXPECT_FALSE((*bad)->WaitReady(absl::Seconds(5)).ok());
  EXPECT_TRUE(absl::StrContains((*bad)->LogTail(),
                                "invalid boolean value \"yes\" for -client-cert-auth: parse error"))
      << (*bad)->LogTail();
}

// etcd's "client TLS and non-TLS" form: http:// and https:// URLs with the same host:port.
TEST_F(TlsTest, PlaintextAndTlsOnOnePort) {
  auto port = PickFreePort();
  ASSERT_TRUE(port.ok());
  std::string both = absl::StrCat("http://127.0.0.1:", *port, ",https://127.0.0.1:", *port);
  MemberConfig mc{.client_port = *port};
  mc.extra_flags = {"--listen-client-urls=" + both, "--advertise-client-urls=" + both};
  for (const std::string& f : CertFlags("", "server")) mc.extra_flags.push_back(f);
  auto s = ServerProcess::Start(BinaryUnderTest(), mc, absl::Seconds(30));
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(Put(NewChannel((*s)->Endpoint()), "p", "1").ok());
  EXPECT_EQ(Get(TlsChannel((*s)->Endpoint(), ""), "p"), "1");
  EXPECT_EQ(Shell(absl::StrCat("curl -sS http://127.0.0.1:", *port, "/health")),
            "{\"health\":\"true\"}");
  EXPECT_EQ(Curl(absl::StrCat("https://127.0.0.1:", *port, "/health"), ""),
            "{\"health\":\"true\"}");
}

TEST_F(TlsTest, RevokedCertificateRefusedUnderCrl) {
  std::vector<std::string> f = CertFlags("", "server");
  f.push_back("--client-cert-auth");
  f.push_back("--client-crl-file=" + Fx("revoke.crl"));
  auto s = StartOne(f);
  ASSERT_NE(s, nullptr);
  std::string url = "https://127.0.0.1:" + std::to_string(s->config().client_port);
  EXPECT_FALSE(Put(TlsChannel(s->Endpoint(), "server-revoked"), "k", "v").ok());
  int rc = 0;
  Shell(absl::StrCat("curl -sS --cacert ", Fx("ca.crt"), " --cert ", Fx("server-revoked.crt"),
                     " --key ", Fx("server-revoked.key.insecure"), " ", url, "/health"),
        &rc);
  EXPECT_NE(rc, 0);
  EXPECT_TRUE(Put(TlsChannel(s->Endpoint(), "server"), "k", "v").ok());
  EXPECT_EQ(Curl(url + "/health", "server"), "{\"health\":\"true\"}");
}

TEST_F(TlsTest, ThreeMembersWithPeerAndClientTlsFromFiles) {
  auto ms = StartThree([](int) {
    std::vector<std::string> f = CertFlags("", "server");
    for (const std::string& p : CertFlags("peer-", "server")) f.push_back(p);
    f.push_back("--peer-client-cert-auth");
    return f;
  });
  ASSERT_TRUE(Put(TlsChannel(ms[0]->Endpoint(), ""), "a", "1").ok());
  EXPECT_EQ(Get(TlsChannel(ms[2]->Endpoint(), ""), "a"), "1");
  EXPECT_EQ(Get(TlsChannel(ms[1]->Endpoint(), ""), "a"), "1");
}

TEST_F(TlsTest, ThreeMembersWithAutoTls) {
  auto ms = StartThree([](int) {
    return std::vector<std::string>{"--auto-tls", "--peer-auto-tls"};
  });
  std::string put = absl::StrCat("curl -sSk https://127.0.0.1:", ms[0]->config().client_port,
                                 "/v3/kv/put -d '{\"key\":\"YQ==\",\"value\":\"MQ==\"}'");
  std::string put_out = Shell(put);
  EXPECT_TRUE(absl::StrContains(put_out, "\"revision\"")) << put_out;
  std::string get = absl::StrCat("curl -sSk https://127.0.0.1:", ms[2]->config().client_port,
                                 "/v3/kv/range -d '{\"key\":\"YQ==\"}'");
  EXPECT_TRUE(absl::StrContains(Shell(get), "\"value\":\"MQ==\""));
  EXPECT_TRUE(std::filesystem::exists(ms[0]->data_dir() + "/fixtures/client/cert.pem"));
  EXPECT_TRUE(std::filesystem::exists(ms[0]->data_dir() + "/fixtures/peer/key.pem"));
}

TEST_F(TlsTest, PeerWithWrongCommonNameRefused) {
  auto ms = StartThree(
      [](int i) {
        std::vector<std::string> f = CertFlags("peer-", i < 2 ? "server" : "server2");
        f.push_back("--peer-client-cert-auth");
        f.push_back("--peer-cert-allowed-cn=example.com");
        return f;
      },
      /*wait_all=*/false, "http");
  EXPECT_TRUE(WaitForLog(ms[0]->log_path(), "client certificate authentication failed"))
      << ms[0]->LogTail();
  EXPECT_TRUE(absl::StrContains(ReadAll(ms[0]->log_path()), "CN \\\"example2.com\\\""));
  EXPECT_TRUE(Put(NewChannel(ms[1]->Endpoint()), "k", "v").ok());
  EXPECT_TRUE(WaitForLog(ms[2]->log_path(), "remote error: tls: bad certificate"))
      << ms[2]->LogTail();
  EXPECT_FALSE(absl::StrContains(ReadAll(ms[2]->log_path()), "ready to serve client requests"));
}

TEST_F(TlsTest, RotatedCertificatePickedUpWithoutRestart) {
  std::string dir = ::testing::TempDir() + "/tls-rotate-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  auto install = [&](const std::string& cert) {
    std::filesystem::copy_file(Fx(cert + ".crt"), dir + "/tmp.crt",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(Fx(cert + ".key.insecure"), dir + "/tmp.key",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(dir + "/tmp.key", dir + "/k.pem");
    std::filesystem::rename(dir + "/tmp.crt", dir + "/c.pem");
  };
  install("server");
  auto s = StartOne({"--cert-file=" + dir + "/c.pem", "--key-file=" + dir + "/k.pem",
                     "--trusted-ca-file=" + Fx("ca.crt")});
  ASSERT_NE(s, nullptr);
  // The certificate each side presents: HTTP/1.1 (ALPN http/1.1) and gRPC (ALPN h2).
  auto subject = [&](const std::string& alpn) {
    return Shell(absl::StrCat("openssl s_client -connect 127.0.0.1:", s->config().client_port,
                              " -alpn ", alpn, " </dev/null | grep -a '^subject='"));
  };
  EXPECT_TRUE(absl::StrContains(subject("http/1.1"), "CN = example.com"));
  EXPECT_TRUE(absl::StrContains(subject("h2"), "CN = example.com"));
  install("server2");
  bool http_rotated = false, grpc_rotated = false;
  for (absl::Time deadline = absl::Now() + absl::Seconds(20);
       absl::Now() < deadline && !(http_rotated && grpc_rotated);) {
    absl::SleepFor(absl::Milliseconds(500));
    http_rotated = absl::StrContains(subject("http/1.1"), "CN = example2.com");
    grpc_rotated = absl::StrContains(subject("h2"), "CN = example2.com");
  }
  EXPECT_TRUE(http_rotated);
  EXPECT_TRUE(grpc_rotated);
  EXPECT_TRUE(Put(TlsChannel(s->Endpoint(), ""), "k", "v").ok());
  std::filesystem::remove_all(dir);
}

TEST_F(TlsTest, MinVersionAppliesToGrpcAndHttps) {
  std::vector<std::string> f = CertFlags("", "server");
  f.push_back("--tls-min-version=TLS1.3");
  auto s = StartOne(f);
  ASSERT_NE(s, nullptr);
  auto handshake = [&](const std::string& alpn, const std::string& version) {
    std::string out =
        Shell(absl::StrCat("openssl s_client -connect 127.0.0.1:", s->config().client_port,
                           " -alpn ", alpn, " ", version, " </dev/null"));
    return absl::StrContains(out, "New, TLSv1");  // "New, (NONE), Cipher is (NONE)" when refused
  };
  EXPECT_TRUE(handshake("http/1.1", "-tls1_3"));
  EXPECT_TRUE(handshake("h2", "-tls1_3"));
  EXPECT_FALSE(handshake("http/1.1", "-tls1_2"));
  EXPECT_FALSE(handshake("h2", "-tls1_2"));
}

// Bad certificate flags stop startup with a message naming the flag and the file.
TEST_F(TlsTest, BadCertificateFlagsStopStartup) {
  auto fails = [](const std::vector<std::string>& flags, const std::string& want) {
    std::string dir = ::testing::TempDir() + "/tls-bad-" + std::to_string(getpid());
    int port = *PickFreePort(), peer = *PickFreePort();
    std::string cmd = absl::StrCat(
        BinaryUnderTest(), " --data-dir ", dir, " --listen-client-urls https://127.0.0.1:", port,
        " --advertise-client-urls https://127.0.0.1:", port,
        " --listen-peer-urls http://127.0.0.1:", peer,
        " --initial-advertise-peer-urls http://127.0.0.1:", peer,
        " --initial-cluster default=http://127.0.0.1:", peer, " ", absl::StrJoin(flags, " "));
    int rc = 0;
    std::string out = Shell(cmd, &rc, 15);
    std::filesystem::remove_all(dir);
    EXPECT_NE(rc, 0) << out;
    EXPECT_NE(rc, 124) << "still running (served?): " << out;
    // Before logging is set up the message is printed as is; after, inside a JSON log line.
    const std::string logged = absl::StrReplaceAll(want, {{"\\", "\\\\"}, {"\"", "\\\""}});
    EXPECT_TRUE(absl::StrContains(out, want) || absl::StrContains(out, logged))
        << "want \"" << want << "\" in: " << out;
  };
  fails({"--cert-file", "/nonexistent/c.pem", "--key-file", Fx("server.key.insecure")},
        "--cert-file /nonexistent/c.pem: open /nonexistent/c.pem: No such file or directory");
  fails({"--cert-file", Fx("server.crt"), "--key-file", Fx("server2.key.insecure")},
        "--key-file " + Fx("server2.key.insecure") + ": private key does not match");
  fails({"--cert-file", Fx("server.crt"), "--key-file", Fx("ca.crt")},
        "--key-file " + Fx("ca.crt"));
  fails({"--cert-file", Fx("server.crt"), "--key-file", Fx("server.key.insecure"),
         "--cipher-suites", "TLS_NOT_A_SUITE"},
        "--cipher-suites: unexpected TLS cipher suite \"TLS_NOT_A_SUITE\"");
  fails(
      {},
      "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:");
}

}  // namespace
}  // namespace etcdpp::testing
