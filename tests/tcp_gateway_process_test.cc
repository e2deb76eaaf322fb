// Real-process tests of `etcdpp gateway start`, etcd's L4 gateway (src/server/gateway/): a
// 3-member etcdpp cluster behind the gateway, driven by the stock etcdctl through it (put, get,
// watch); the member under the gateway's live connection killed with SIGKILL, after which new
// connections go to live members, the watch goes on, and the member is taken back once it
// answers again; TLS passing through untouched; the command line compared with etcd 3.4's.
// The scenarios run against both our gateway and /usr/bin/etcd's (`etcd gateway start`), with
// the same etcdpp members behind.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster.h"
#include "harness/command.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

constexpr char kEtcdctl[] = "/usr/bin/etcdctl";
const std::string kFixtures = "/usr/share/gocode/src/go.etcd.io/etcd/integration/fixtures";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs a shell command, bounded by `timeout` seconds; its stdout and stderr, and its rc.
std::string Shell(const std::string& cmd, int* rc = nullptr, int timeout = 20) {
  int ignored = 0;
  return RunCommand(absl::StrCat("timeout ", timeout, " ", cmd), rc != nullptr ? rc : &ignored);
}

// Polls `pred` every 100 ms for at most `limit`.
bool WaitFor(const std::function<bool()>& pred, absl::Duration limit = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return pred();
}

// A child process with stdout and stderr appended to `log`; killed (by PID) when destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* f = fopen(log.c_str(), "a");
      if (f != nullptr) {
        dup2(fileno(f), 1);
        dup2(fileno(f), 2);
      }
      setenv("ETCDCTL_API", "3", 1);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Child() { Stop(SIGKILL); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void Stop(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  pid_t pid() const { return pid_; }
  std::string Log() const { return ReadAll(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

// The remote ports of the established IPv4 TCP connections of process `pid` (its sockets,
// /proc/<pid>/fd, looked up in /proc/net/tcp).
std::multiset<int> EstablishedRemotePorts(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), ec)) {
    std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (absl::StartsWith(target, "socket:[")) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::multiset<int> ports;
  std::istringstream tcp(ReadAll("/proc/net/tcp"));
  std::string line;
  std::getline(tcp, line);  // header
  while (std::getline(tcp, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 10 || f[3] != "01" || inodes.count(f[9]) == 0) continue;  // 01: ESTABLISHED
    int port = 0;
    if (absl::SimpleHexAtoi(f[2].substr(f[2].find(':') + 1), &port)) ports.insert(port);
  }
  return ports;
}

// Opens three connections to the gateway at `port` at once (raw TCP, no client library, so
// each is exactly one pick) and returns, for each member client port in `member_ports`, how
// many of the gateway's upstream connections to it are new while they are open.
std::map<int, int> NewUpstreamsOfThreeConnections(pid_t gateway, int port,
                                                  const std::vector<int>& member_ports) {
  auto count = [&] {
    std::multiset<int> all = EstablishedRemotePorts(gateway);
    std::map<int, int> n;
    for (int p : member_ports) n[p] = static_cast<int>(all.count(p));
    return n;
  };
  const std::map<int, int> before = count();
  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) fds.push_back(fd);
  }
  std::map<int, int> added;
  WaitFor(
      [&] {
        std::map<int, int> now = count();
        int total = 0;
        for (int p : member_ports) total += (added[p] = now[p] - before.at(p));
        return total >= 3;
      },
      absl::Seconds(10));
  for (int fd : fds) close(fd);
  return added;
}

class TcpGatewayTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (BinaryUnderTest().empty()) GTEST_SKIP() << "no etcdpp binary configured";
    gateway_binary_ = GetParam() == "etcd" ? ReferenceBinary() : BinaryUnderTest();
    if (!std::filesystem::exists(gateway_binary_)) GTEST_SKIP() << gateway_binary_ << " missing";
    tmp_ = std::filesystem::temp_directory_path() /
           absl::StrCat("tcp-gateway-test-", getpid(), "-", GetParam());
    std::filesystem::create_directories(tmp_);
  }
  void TearDown() override {
    gateway_.reset();
    if (!HasFailure()) std::filesystem::remove_all(tmp_);
  }

  // Starts `<binary> gateway start` in front of `endpoints`; waits for its ready line.
  void StartGateway(const std::vector<std::string>& endpoints,
                    const std::vector<std::string>& extra = {}) {
    auto port = PickFreePort();
    ASSERT_TRUE(port.ok()) << port.status();
    gateway_addr_ = absl::StrCat("127.0.0.1:", *port);
    std::vector<std::string> argv = {gateway_binary_, "gateway", "start",
                                     "--endpoints=" + absl::StrJoin(endpoints, ","),
                                     "--listen-addr=" + gateway_addr_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    gateway_ = std::make_unique<Child>(argv, (tmp_ / "gateway.log").string());
    ASSERT_TRUE(WaitFor(
        [&] {
          return absl::StrContains(gateway_->Log(), "ready to proxy client requests") &&
                 PortAcceptsConnections(*port);
        },
        absl::Seconds(15)))
        << gateway_->Log();
  }

  std::string Ctl(const std::string& endpoint, const std::string& args, int* rc,
                  const std::string& tls = "") {
    return Shell(absl::StrCat("env ETCDCTL_API=3 ", kEtcdctl, " --endpoints=", endpoint, " ", tls,
                              " ", args),
                 rc);
  }

  // The member id that serves a new connection through the gateway (endpoint status).
  std::string MemberBehindGateway() {
    int rc = 0;
    std::string out = Ctl(gateway_addr_, "endpoint status -w fields", &rc);
    if (rc != 0) return "";
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (absl::StartsWith(line, "\"MemberID\" : ")) return std::string(line.substr(13));
    }
    return "";
  }

  std::string gateway_binary_;
  std::filesystem::path tmp_;
  std::string gateway_addr_;
  std::unique_ptr<Child> gateway_;
};

TEST_P(TcpGatewayTest, ClusterBehindGatewayServesAndFailsOver) {
  auto cluster = Cluster::Start(BinaryUnderTest(), 3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Cluster& c = **cluster;
  std::vector<std::string> eps;
  std::vector<std::string> ids;  // member i's id, asked directly
  for (int i = 0; i < 3; ++i) {
    eps.push_back(c.member(i).Endpoint());
    int rc = 0;
    std::string out = Ctl(c.member(i).Endpoint(), "endpoint status -w fields", &rc);
    ASSERT_EQ(rc, 0) << out;
    size_t at = out.find("\"MemberID\" : ");
    ids.push_back(out.substr(at + 13, out.find('\n', at) - at - 13));
  }
  StartGateway(eps, {"--retry-delay=1s"});

  // put, get and a watch through the gateway.
  int rc = 0;
  EXPECT_EQ(Ctl(gateway_addr_, "put foo bar", &rc), "OK\n");
  EXPECT_EQ(Ctl(gateway_addr_, "get foo", &rc), "foo\nbar\n");
  Child watch({kEtcdctl, "--endpoints=" + gateway_addr_, "watch", "wkey"},
              (tmp_ / "watch.log").string());
  // The watch is registered once a put is seen; puts until then are repeated (bounded).
  ASSERT_TRUE(WaitFor([&] {
    Ctl(gateway_addr_, "put wkey v1", &rc);
    return absl::StrContains(watch.Log(), "wkey\nv1\n");
  })) << watch.Log();

  // The gateway takes the members in turn: three new connections reach the three members.
  std::vector<int> member_ports;
  for (int i = 0; i < 3; ++i) member_ports.push_back(c.member(i).config().client_port);
  const int gw_port = std::stoi(gateway_addr_.substr(gateway_addr_.find(':') + 1));
  const std::map<int, int> one_each = {
      {member_ports[0], 1}, {member_ports[1], 1}, {member_ports[2], 1}};
  EXPECT_EQ(NewUpstreamsOfThreeConnections(gateway_->pid(), gw_port, member_ports), one_each);

  // The member under the gateway's live connection (the watch's): the one member client port
  // among the remote ports of the gateway's established sockets now.
  int victim = -1;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::multiset<int> ports = EstablishedRemotePorts(gateway_->pid());
        int upstreams = 0;
        for (int i = 0; i < 3; ++i) {
          const size_t n = ports.count(c.member(i).config().client_port);
          upstreams += static_cast<int>(n);
          if (n > 0) victim = i;
        }
        return upstreams == 1;
      },
      absl::Seconds(10)));
  ASSERT_TRUE(c.member(victim).Kill().ok());

  // New connections move on to live members; each write succeeds (while a new leader is
  // elected a write may fail: bounded retries).
  for (int i = 0; i < 6; ++i) {
    EXPECT_NE(MemberBehindGateway(), ids[victim]);
    const std::string put = absl::StrCat("put k", i, " v", i);
    EXPECT_TRUE(WaitFor([&] { return Ctl(gateway_addr_, put, &rc) == "OK\n"; }))
        << Ctl(gateway_addr_, put, &rc);
  }
  const std::string victim_addr = c.member(victim).Endpoint();
  bool deactivated = false;  // a "deactivated endpoint" line names the victim
  for (absl::string_view line : absl::StrSplit(gateway_->Log(), '\n')) {
    deactivated = deactivated || (absl::StrContains(line, "deactivated endpoint") &&
                                  absl::StrContains(line, "\"" + victim_addr + "\""));
  }
  EXPECT_TRUE(deactivated) << gateway_->Log();

  // The watch reconnects through the gateway to a live member and resumes.
  ASSERT_TRUE(WaitFor([&] {
    Ctl(gateway_addr_, "put wkey v2", &rc);
    return absl::StrContains(watch.Log(), "wkey\nv2\n");
  })) << watch.Log();
  EXPECT_TRUE(watch.Running());

  // Once the member answers again, the gateway's probe takes it back.
  ASSERT_TRUE(c.member(victim).Restart(absl::Seconds(30)).ok()) << c.member(victim).LogTail();
  EXPECT_TRUE(WaitFor([&] { return absl::StrContains(gateway_->Log(), "\"activated\""); }))
      << gateway_->Log();
  EXPECT_EQ(NewUpstreamsOfThreeConnections(gateway_->pid(), gw_port, member_ports), one_each);
  if (HasFailure()) c.KeepTempDirs();
}

TEST_P(TcpGatewayTest, TlsPassesThroughUntouched) {
  if (!std::filesystem::exists(kFixtures + "/ca.crt")) GTEST_SKIP() << "no etcd fixtures";
  auto port = PickFreePort();
  ASSERT_TRUE(port.ok());
  const std::string url = absl::StrCat("https://127.0.0.1:", *port);
  MemberConfig mc{.client_port = *port};
  mc.extra_flags = {"--listen-client-urls=" + url, "--advertise-client-urls=" + url,
                    "--cert-file=" + kFixtures + "/server.crt",
                    "--key-file=" + kFixtures + "/server.key.insecure"};
  auto member = ServerProcess::Start(BinaryUnderTest(), mc, absl::Seconds(30));
  ASSERT_TRUE(member.ok()) << member.status();
  StartGateway({url});

  // The stock etcdctl's TLS session through the gateway ends at the member.
  const std::string tls = "--cacert=" + kFixtures + "/ca.crt";
  int rc = 0;
  EXPECT_EQ(Ctl("https://" + gateway_addr_, "put tk tv", &rc, tls), "OK\n");
  EXPECT_EQ(Ctl("https://" + gateway_addr_, "get tk", &rc, tls), "tk\ntv\n");
  // The certificate seen through the gateway is the member's own, byte for byte.
  auto cert_of = [&](const std::string& addr) {
    return Shell(absl::StrCat("openssl s_client -connect ", addr,
                              " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256"),
                 &rc);
  };
  const std::string direct = cert_of((*member)->Endpoint());
  EXPECT_TRUE(absl::StrContains(direct, "Fingerprint=")) << direct;
  EXPECT_EQ(cert_of(gateway_addr_), direct);
  // Plain text to a TLS member through the gateway gets no answer a client could mistake.
  EXPECT_NE(Ctl(gateway_addr_, "--command-timeout=2s get tk", &rc), "tk\ntv\n");
  EXPECT_NE(rc, 0);
}

INSTANTIATE_TEST_SUITE_P(Gateways, TcpGatewayTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

// ---- The command line, compared with etcd 3.4's own.

struct Outcome {
  std::string out, err;
  int rc = 0;
};

Outcome RunBinary(const std::string& binary, const std::string& args) {
  const std::string err_file =
      std::filesystem::temp_directory_path() / absl::StrCat("tcp-gateway-cli-", getpid(), ".err");
  Outcome r;
  // The inner redirection keeps stderr apart from stdout.
  r.out = Shell(absl::StrCat("sh -c '", binary, " ", args, " 2>", err_file, "'"), &r.rc, 10);
  r.err = ReadAll(err_file);
  std::filesystem::remove(err_file);
  return r;
}

class GatewayCommandLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (BinaryUnderTest().empty()) GTEST_SKIP() << "no etcdpp binary configured";
    if (!std::filesystem::exists(ReferenceBinary())) GTEST_SKIP() << "no reference etcd";
  }
  void ExpectSameAsEtcd(const std::string& args) {
    Outcome ours = RunBinary(BinaryUnderTest(), args);
    Outcome theirs = RunBinary(ReferenceBinary(), args);
    EXPECT_EQ(ours.out, theirs.out) << args;
    EXPECT_EQ(ours.err, theirs.err) << args;
    EXPECT_EQ(ours.rc, theirs.rc) << args;
  }
};

TEST_F(GatewayCommandLineTest, HelpUsageAndErrorsReadAsEtcds) {
  ExpectSameAsEtcd("gateway --help");
  ExpectSameAsEtcd("gateway");
  ExpectSameAsEtcd("gateway unknown-word");
  ExpectSameAsEtcd("gateway --bogus");
  ExpectSameAsEtcd("gateway start --help");
  ExpectSameAsEtcd("gateway --listen-addr=x start -h");
  ExpectSameAsEtcd("gateway start --bogus");
  ExpectSameAsEtcd("gateway start --retry-delay=soon");
  ExpectSameAsEtcd("gateway start --endpoints=no-port");
  ExpectSameAsEtcd("gateway start --endpoints=127.0.0.1:2379 --listen-addr=bad");
  ExpectSameAsEtcd("gateway start --endpoints=127.0.0.1:2379 --listen-addr=127.0.0.1:2379");
}

TEST_F(GatewayCommandLineTest, ListenAddressInUseFailsAsEtcd) {
  // Something listens on the port: the gateway's own port (a gateway started first).
  auto port = PickFreePort();
  ASSERT_TRUE(port.ok());
  const std::string addr = absl::StrCat("127.0.0.1:", *port);
  Child first({BinaryUnderTest(), "gateway", "start", "--listen-addr=" + addr},
              std::filesystem::temp_directory_path() / absl::StrCat("tcp-gw-first-", getpid()));
  ASSERT_TRUE(WaitFor([&] { return PortAcceptsConnections(*port); }, absl::Seconds(10)));
  Outcome ours = RunBinary(BinaryUnderTest(), "gateway start --listen-addr=" + addr);
  Outcome theirs = RunBinary(ReferenceBinary(), "gateway start --listen-addr=" + addr);
  EXPECT_EQ(ours.rc, 1);
  EXPECT_EQ(theirs.rc, 1);
  const std::string want = absl::StrCat("listen tcp ", addr, ": bind: address already in use\n");
  EXPECT_TRUE(absl::StrContains(ours.err, want)) << ours.err;
  EXPECT_TRUE(absl::StrContains(theirs.err, want)) << theirs.err;
  std::filesystem::remove(std::filesystem::temp_directory_path() /
                          absl::StrCat("tcp-gw-first-", getpid()));
}

TEST_F(GatewayCommandLineTest, ExtraArgumentsAreRefused) {
  Outcome extra = RunBinary(BinaryUnderTest(), "gateway start now");
  EXPECT_EQ(extra.rc, 1);
  EXPECT_TRUE(absl::StrContains(extra.err, "unexpected argument \"now\"")) << extra.err;
}

}  // namespace
}  // namespace etcdpp::testing
