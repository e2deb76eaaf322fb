// dns_discovery_process_test: 3-member clusters bootstrapped with --discovery-srv from SRV
// records that a DNS server started by the test serves (dnsmasq, scripts/install-deps.sh).
//
// Isolation: each test creates a network namespace. dnsmasq listens on 127.0.0.1:53 inside it,
// and every process that resolves names (members, etcdctl) runs under `ip netns exec <ns>`,
// which bind-mounts /etc/netns/<ns>/resolv.conf ("nameserver 127.0.0.1") over /etc/resolv.conf
// for that process only: the machine's resolver configuration is never touched. The test's own
// thread joins the namespace's network (setns) to pick ports and to see the members' ports on
// that loopback; it leaves again in TearDown, which deletes the namespace. Without the rights
// to create a namespace (not root) the tests skip, saying so.
//
// Covered: plain http peers (_etcd-server._tcp), TLS peers (_etcd-server-ssl._tcp, etcd's test
// certificates) with --discovery-srv-name (_etcd-server-ssl-<name>._tcp), a record set none of
// whose targets is the member's advertised peer URL (etcd's "cannot find local etcd member"),
// etcdctl --discovery-srv over _etcd-client._tcp, and `gateway start` / `grpc-proxy start`
// --discovery-srv over _etcd-client-ssl._tcp (the checks of the discovered endpoints, TLS
// members, both lookups failing). The reference etcd runs the same where it
// can (TLS and the mismatch): the cluster forms and the messages agree. etcd 3.4 ignores
// _etcd-server._tcp (etcd issue 11321, fixed in 3.5); etcdpp follows 3.5 (docs/compatibility.md)
// and the test checks 3.4's refusal to document the difference.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/command.h"
#include "harness/etcdctl.h"
#include "harness/ports.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

const std::string kFixtures = "/usr/share/gocode/src/go.etcd.io/etcd/integration/fixtures";
std::string Fx(const std::string& name) { return kFixtures + "/" + name; }
constexpr char kDomain[] = "etcd.test";

// A process the test started, output appended to a log, SIGKILLed by PID when stopped.
class Daemon {
 public:
  ~Daemon() { Stop(); }
  [[nodiscard]] absl::Status Start(std::vector<std::string> args, const std::string& log_path) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return absl::InternalError("cannot open " + log_path);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(log_fd, 1);
      dup2(log_fd, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log_fd);
    return pid_ < 0 ? absl::InternalError("fork") : absl::OkStatus();
  }
  // Whether it still runs (false once it exited, which is reaped).
  bool Running() {
    int st = 0;
    if (pid_ > 0 && waitpid(pid_, &st, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// Waits (up to 10 s) for port on 127.0.0.1 to accept connections while `d` runs.
absl::Status WaitListening(Daemon& d, int port, const std::string& what) {
  for (int i = 0; i < 100; ++i) {
    if (PortAcceptsConnections(port)) return absl::OkStatus();
    if (!d.Running()) return absl::InternalError(what + " exited at start-up");
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat(what, " did not listen on port ", port));
}

// One dnsmasq process the test started.
class Dnsmasq {
 public:
  [[nodiscard]] absl::Status Start(const std::string& ns, const std::vector<std::string>& records,
                                   const std::string& log_path) {
    std::vector<std::string> args = {"/usr/sbin/ip",
                                     "netns",
                                     "exec",
                                     ns,
                                     "/usr/sbin/dnsmasq",
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--no-poll",
                                     "--pid-file=",
                                     "--user=root",
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--port=53",
                                     "--log-facility=-",
                                     "--log-queries",
                                     absl::StrCat("--local=/", kDomain, "/")};
    args.insert(args.end(), records.begin(), records.end());
    if (absl::Status st = daemon_.Start(std::move(args), log_path); !st.ok()) return st;
    absl::Status st = WaitListening(daemon_, 53, "dnsmasq");
    if (!st.ok()) return absl::Status(st.code(), absl::StrCat(st.message(), "; see ", log_path));
    return st;
  }
  void Stop() { daemon_.Stop(); }

 private:
  Daemon daemon_;
};

// The SRV record dnsmasq serves for _<service>._tcp.etcd.test.
std::string Srv(const std::string& service, const std::string& target, int port) {
  return absl::StrCat("--srv-host=_", service, "._tcp.", kDomain, ",", target, ",", port);
}

struct Member {
  std::string name;
  int client_port = 0;
  int peer_port = 0;
};

class DnsDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root: the test creates a network namespace (ip netns add) for its "
                      "DNS server";
    }
    if (access("/usr/sbin/dnsmasq", X_OK) != 0) {
      GTEST_SKIP() << "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)";
    }
    static int serial = 0;
    ns_ = absl::StrCat("etcdpp-dns-", getpid(), "-", serial++);
    int rc = 0;
    const std::string out = RunCommand("ip netns add " + ns_, &rc);
    if (rc != 0) GTEST_SKIP() << "cannot create a network namespace: " << out;
    created_ = true;
    std::filesystem::create_directories("/etc/netns/" + ns_);
    std::ofstream("/etc/netns/" + ns_ + "/resolv.conf") << "nameserver 127.0.0.1\n";
    ASSERT_EQ(RunCommand(absl::StrCat("ip netns exec ", ns_, " ip link set lo up"), &rc), "");
    ASSERT_EQ(rc, 0);
    home_ns_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int fd = open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(setns(fd, CLONE_NEWNET), 0) << strerror(errno);
    close(fd);
    char tmpl[] = "/tmp/etcdpp-dns-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }

  void TearDown() override {
    members_.clear();  // kills the members (by PID) before their namespace goes
    dns_.Stop();
    if (home_ns_ >= 0) {
      EXPECT_EQ(setns(home_ns_, CLONE_NEWNET), 0);
      close(home_ns_);
    }
    if (created_) {
      int rc = 0;
      RunCommand("ip netns del " + ns_, &rc);
      std::filesystem::remove_all("/etc/netns/" + ns_);
    }
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  // A wrapper that runs `binary` inside the namespace with its resolv.conf.
  std::string InNamespace(const std::string& binary) {
    const std::string path =
        absl::StrCat(dir_, "/in-ns-", std::filesystem::path(binary).filename().string());
    if (std::filesystem::exists(path)) return path;  // never rewritten while a member execs it
    std::ofstream(path) << "#!/bin/sh\nexec ip netns exec " << ns_ << " " << binary << " \"$@\"\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
  }

  std::vector<Member> PickMembers() {
    std::vector<Member> ms(3);
    for (int i = 0; i < 3; ++i) {
      ms[i].name = absl::StrCat("m", i);
      ms[i].client_port = *PickFreePort();
      ms[i].peer_port = *PickFreePort();
    }
    return ms;
  }

  void StartDns(const std::vector<std::string>& records) {
    ASSERT_TRUE(dns_.Start(ns_, records, dir_ + "/dnsmasq.log").ok())
        << RunCommand("cat " + dir_ + "/dnsmasq.log", &rc_);
  }

  // Launches member m of `binary` with --discovery-srv (no --initial-cluster) and `flags`.
  // It listens for peers on 127.0.0.1 and advertises `advertise_host`.
  ServerProcess* Launch(const std::string& binary, const Member& m, const std::string& peer_scheme,
                        const std::vector<std::string>& flags,
                        const std::string& advertise_host = "127.0.0.1") {
    MemberConfig cfg;
    cfg.name = m.name;
    cfg.client_port = m.client_port;
    cfg.peer_port = m.peer_port;
    cfg.pass_initial_cluster = false;
    const std::string lurl = absl::StrCat(peer_scheme, "://127.0.0.1:", m.peer_port);
    const std::string purl = absl::StrCat(peer_scheme, "://", advertise_host, ":", m.peer_port);
    cfg.extra_flags = {"--listen-peer-urls=" + lurl, "--initial-advertise-peer-urls=" + purl,
                       "--initial-cluster-token=dns-test",
                       absl::StrCat("--discovery-srv=", kDomain)};
    cfg.extra_flags.insert(cfg.extra_flags.end(), flags.begin(), flags.end());
    auto s = ServerProcess::Create(InNamespace(binary), cfg);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return nullptr;
    members_.push_back(std::move(*s));
    EXPECT_TRUE(members_.back()->Launch().ok());
    return members_.back().get();
  }

  // A single-member cluster of `binary` (--initial-cluster its own) with `flags`, ready.
  void StartMember(const std::string& binary, const Member& m,
                   const std::vector<std::string>& flags) {
    MemberConfig cfg;
    cfg.name = m.name;
    cfg.client_port = m.client_port;
    cfg.peer_port = m.peer_port;
    cfg.extra_flags = flags;
    auto s = ServerProcess::Create(InNamespace(binary), cfg);
    ASSERT_TRUE(s.ok()) << s.status();
    members_.push_back(std::move(*s));
    ASSERT_TRUE(members_.back()->Launch().ok());
    WaitAllReady();
  }

  void WaitAllReady() {
    for (auto& m : members_) {
      absl::Status st = m->WaitReady(absl::Seconds(40));
      if (!st.ok()) m->set_keep_temp_dir(true);
      ASSERT_TRUE(st.ok()) << st;
    }
  }

  // etcdctl (ours or the stock one) inside the namespace; returns its output.
  std::string Etcdctl(const std::string& binary, const std::string& args, int* rc) {
    return RunCommand(absl::StrCat("ETCDCTL_API=3 ip netns exec ", ns_, " ", binary, " ", args),
                      rc);
  }

  // The value of key read from member m by the stock etcdctl (with its newline).
  std::string StockGet(const Member& m, const std::string& key) {
    int rc = 0;
    return Etcdctl(
        kStockEtcdctl,
        absl::StrCat("--endpoints=127.0.0.1:", m.client_port, " get ", key, " --print-value-only"),
        &rc);
  }

  // The member exits by itself; returns its log (bounded wait).
  std::string ExitLog(ServerProcess* m) {
    for (int i = 0; i < 200 && m->Running(); ++i) absl::SleepFor(absl::Milliseconds(100));
    EXPECT_FALSE(m->Running()) << m->LogTail();
    return m->LogTail(200);
  }

  std::string ns_;
  bool created_ = false;
  int home_ns_ = -1;
  std::string dir_;
  Dnsmasq dns_;
  std::vector<std::unique_ptr<ServerProcess>> members_;
  int rc_ = 0;
};

std::string FileText(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string Flavor(const std::string& name) {
  const std::string why = WhyNotRunnable(FlavorByName(name));
  return why.empty() ? FlavorByName(name).binary : "";
}

// Plain http peers from _etcd-server._tcp; targets are names the DNS server resolves, matched
// against each member's advertised 127.0.0.1 URL. Clients find the members through
// _etcd-client._tcp with our etcdctl --discovery-srv (the resolver the server shares).
TEST_F(DnsDiscoveryTest, HttpPeersFromEtcdServerRecords) {
  const std::string binary = Flavor("etcdpp");
  if (binary.empty()) GTEST_SKIP() << WhyNotRunnable(FlavorByName("etcdpp"));
  std::vector<Member> ms = PickMembers();
  std::vector<std::string> records;
  for (int i = 0; i < 3; ++i) {
    const std::string host = absl::StrCat("m", i, ".", kDomain);
    records.push_back(absl::StrCat("--host-record=", host, ",127.0.0.1"));
    records.push_back(Srv("etcd-server", host, ms[i].peer_port));
    records.push_back(Srv("etcd-client", host, ms[i].client_port));
  }
  ASSERT_NO_FATAL_FAILURE(StartDns(records));
  for (const Member& m : ms) Launch(binary, m, "http", {});
  WaitAllReady();
  const std::string ctl =
      absl::StrCat(ETCDPP_ETCDCTL, " --discovery-srv=", kDomain, " --insecure-discovery");
  int rc = 0;
  std::string out = Etcdctl(ctl, "put dns-key found-by-srv", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(StockGet(ms[2], "dns-key"), "found-by-srv\n");
  // The members' peer URLs are the records' (the names resolved by each member), and each
  // member published its own name over the placeholder the others knew it by.
  out = Etcdctl(ctl, "member list", &rc);
  ASSERT_EQ(rc, 0) << out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(absl::StrContains(
        out, absl::StrCat(", m", i, ", http://m", i, ".", kDomain, ":", ms[i].peer_port)))
        << out;
  }
  // A restarted member does not bootstrap again (nor check its flags against the records).
  ASSERT_TRUE(members_[1]->Stop().ok());
  ASSERT_TRUE(members_[1]->Restart(absl::Seconds(40)).ok()) << members_[1]->LogTail();
}

// etcd 3.4.23 reads only _etcd-server-ssl._tcp (issue 11321): the same records stop it.
TEST_F(DnsDiscoveryTest, ReferenceEtcd34IgnoresHttpRecords) {
  const std::string binary = Flavor("etcd");
  if (binary.empty()) GTEST_SKIP() << WhyNotRunnable(FlavorByName("etcd"));
  std::vector<Member> ms = PickMembers();
  StartDns({absl::StrCat("--host-record=m0.", kDomain, ",127.0.0.1"),
            Srv("etcd-server", absl::StrCat("m0.", kDomain), ms[0].peer_port)});
  ServerProcess* m = Launch(binary, ms[0], "http", {});
  ASSERT_NE(m, nullptr);
  const std::string log = ExitLog(m);
  EXPECT_TRUE(absl::StrContains(
      log, absl::StrCat("error querying DNS SRV records for _etcd-server-ssl lookup "
                        "_etcd-server-ssl._tcp.",
                        kDomain, " on 127.0.0.1:53: no such host")))
      << log;
}

class DnsDiscoveryFlavorTest : public DnsDiscoveryTest,
                               public ::testing::WithParamInterface<std::string> {};

// TLS peers from _etcd-server-ssl-prod._tcp (--discovery-srv-name prod) whose target is
// "localhost" (the name etcd's test certificates carry). The records without the suffix name
// other ports: a member reading them would not find itself.
TEST_P(DnsDiscoveryFlavorTest, TlsPeersFromSslRecordsWithServiceName) {
  const std::string binary = Flavor(GetParam());
  if (binary.empty()) GTEST_SKIP() << WhyNotRunnable(FlavorByName(GetParam()));
  if (!std::filesystem::exists(Fx("ca.crt"))) GTEST_SKIP() << "etcd's fixtures are not installed";
  std::vector<Member> ms = PickMembers();
  std::vector<std::string> records;
  for (int i = 0; i < 3; ++i) {
    records.push_back(Srv("etcd-server-ssl-prod", "localhost", ms[i].peer_port));
    records.push_back(Srv("etcd-server-ssl", "localhost", *PickFreePort()));
  }
  // Go resolves the target "localhost." through DNS, not /etc/hosts.
  records.push_back("--host-record=localhost,127.0.0.1");
  ASSERT_NO_FATAL_FAILURE(StartDns(records));
  const std::vector<std::string> tls = {
      "--discovery-srv-name=prod", "--peer-cert-file=" + Fx("server.crt"),
      "--peer-key-file=" + Fx("server.key.insecure"), "--peer-trusted-ca-file=" + Fx("ca.crt"),
      "--peer-client-cert-auth"};
  // etcd checks the advertised URLs against the records' without resolving "localhost"
  // (netutil.URLStringsEqual), so the members advertise that name.
  for (const Member& m : ms) Launch(binary, m, "https", tls, "localhost");
  WaitAllReady();
  int rc = 0;
  std::string out = Etcdctl(
      ETCDPP_ETCDCTL,
      absl::StrCat("--endpoints=127.0.0.1:", ms[0].client_port, " put tls-key over-ssl-records"),
      &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(StockGet(ms[1], "tls-key"), "over-ssl-records\n");
  out = Etcdctl(kStockEtcdctl,
                absl::StrCat("--endpoints=127.0.0.1:", ms[2].client_port, " member list"), &rc);
  ASSERT_EQ(rc, 0) << out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(absl::StrContains(out, absl::StrCat("https://localhost:", ms[i].peer_port))) << out;
  }
}

// Records whose targets are none of the member's advertised peer URLs stop it with etcd's
// message (the records are _etcd-server-ssl's, the only ones etcd 3.4 reads).
TEST_P(DnsDiscoveryFlavorTest, RecordsNotMatchingTheMemberStopIt) {
  const std::string binary = Flavor(GetParam());
  if (binary.empty()) GTEST_SKIP() << WhyNotRunnable(FlavorByName(GetParam()));
  std::vector<Member> ms = PickMembers();
  std::vector<std::string> records;
  for (int i = 0; i < 3; ++i) {
    records.push_back(absl::StrCat("--host-record=x", i, ".", kDomain, ",127.0.0.1"));
    records.push_back(Srv("etcd-server-ssl", absl::StrCat("x", i, ".", kDomain), *PickFreePort()));
  }
  ASSERT_NO_FATAL_FAILURE(StartDns(records));
  ServerProcess* m = Launch(binary, ms[0], "http", {});
  ASSERT_NE(m, nullptr);
  // etcdpp (and etcd with --logger=zap) logs it in a JSON line, its quotes escaped; etcd 3.4's
  // default capnslog line has them bare.
  const std::string log = absl::StrReplaceAll(ExitLog(m), {{"\\\"", "\""}});
  EXPECT_TRUE(absl::StrContains(
      log, "error setting up initial cluster: cannot find local etcd member \"m0\" in SRV records"))
      << log;
  EXPECT_NE(m->last_wait_status(), 0);
}

// `gateway start --discovery-srv`: the records of _etcd-client-ssl._tcp (and _etcd-client._tcp)
// name the members. Without --insecure-discovery etcd keeps the https records whose port accepts
// a connection: here the one on the member's (plain) client port; the record of a port where
// nothing listens and the http record are dropped, with etcd's warning. --endpoints names
// nothing useful: the gateway must not fall back to it.
TEST_P(DnsDiscoveryFlavorTest, GatewayFindsMembersFromClientRecords) {
  const std::string binary = Flavor(GetParam());
  if (binary.empty()) GTEST_SKIP() << WhyNotRunnable(FlavorByName(GetParam()));
  std::vector<Member> ms = PickMembers();
  const int nothing = *PickFreePort();
  ASSERT_NO_FATAL_FAILURE(
      StartDns({absl::StrCat("--host-record=m0.", kDomain, ",127.0.0.1"),
                absl::StrCat("--host-record=gone.", kDomain, ",127.0.0.1"),
                Srv("etcd-client-ssl", absl::StrCat("m0.", kDomain), ms[0].client_port),
                Srv("etcd-client-ssl", absl::StrCat("gone.", kDomain), nothing),
                Srv("etcd-client", absl::StrCat("m0.", kDomain), ms[1].client_port)}));
  ASSERT_NO_FATAL_FAILURE(StartMember(binary, ms[0], {}));
  const int port = *PickFreePort();
  Daemon gw;
  const std::string log = dir_ + "/gateway.log";
  ASSERT_TRUE(
      gw.Start({InNamespace(binary), "gateway", "start", absl::StrCat("--discovery-srv=", kDomain),
                absl::StrCat("--listen-addr=127.0.0.1:", port),
                absl::StrCat("--endpoints=127.0.0.1:", nothing)},
               log)
          .ok());
  ASSERT_TRUE(WaitListening(gw, port, "the gateway").ok()) << FileText(log);
  int rc = 0;
  std::string out = Etcdctl(
      kStockEtcdctl, absl::StrCat("--endpoints=127.0.0.1:", port, " put gw-key via-srv"), &rc);
  EXPECT_EQ(out, "OK\n") << FileText(log);
  EXPECT_EQ(StockGet(ms[0], "gw-key"), "via-srv\n");
  const std::string text = FileText(log);
  EXPECT_TRUE(absl::StrContains(text, "failed to validate discovered endpoints")) << text;
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat("gone.", kDomain, ".:", nothing))) << text;
  EXPECT_TRUE(absl::StrContains(text, "is insecure")) << text;
}

// `grpc-proxy start --discovery-srv` with TLS members: the record of "localhost" (the name the
// member's certificate carries) is used, with --cacert for the connection to it. The proxy's
// --trusted-ca-file (which also makes its listener ask clients for certificates) checks the
// records: etcdpp completes a TLS handshake and checks the name, so a record naming the same
// member as m0.etcd.test (not in its certificate) is dropped; etcd 3.4 only connects, and is
// given the good record alone.
TEST_P(DnsDiscoveryFlavorTest, GrpcProxyFindsTlsMembersFromClientRecords) {
  const std::string binary = Flavor(GetParam());
  if (binary.empty()) GTEST_SKIP() << WhyNotRunnable(FlavorByName(GetParam()));
  if (!std::filesystem::exists(Fx("ca.crt"))) GTEST_SKIP() << "etcd's fixtures are not installed";
  const bool ours = GetParam() == "etcdpp";
  std::vector<Member> ms = PickMembers();
  std::vector<std::string> records = {"--host-record=localhost,127.0.0.1",
                                      absl::StrCat("--host-record=m0.", kDomain, ",127.0.0.1"),
                                      Srv("etcd-client-ssl", "localhost", ms[0].client_port)};
  if (ours)
    records.push_back(Srv("etcd-client-ssl", absl::StrCat("m0.", kDomain), ms[0].client_port));
  ASSERT_NO_FATAL_FAILURE(StartDns(records));
  const std::string url = absl::StrCat("https://127.0.0.1:", ms[0].client_port);
  ASSERT_NO_FATAL_FAILURE(
      StartMember(binary, ms[0],
                  {"--listen-client-urls=" + url, "--advertise-client-urls=" + url,
                   "--cert-file=" + Fx("server.crt"), "--key-file=" + Fx("server.key.insecure")}));
  const int port = *PickFreePort();
  Daemon proxy;
  const std::string log = dir_ + "/proxy.log";
  ASSERT_TRUE(
      proxy
          .Start({InNamespace(binary), "grpc-proxy", "start",
                  absl::StrCat("--discovery-srv=", kDomain),
                  absl::StrCat("--listen-addr=127.0.0.1:", port), "--endpoints=127.0.0.1:1",
                  "--cacert=" + Fx("ca.crt"), "--trusted-ca-file=" + Fx("ca.crt"),
                  "--cert-file=" + Fx("server2.crt"), "--key-file=" + Fx("server2.key.insecure")},
                 log)
          .ok());
  ASSERT_TRUE(WaitListening(proxy, port, "the gRPC proxy").ok()) << FileText(log);
  const std::string tls = absl::StrCat("--cacert=", Fx("ca.crt"), " --cert=", Fx("server.crt"),
                                       " --key=", Fx("server.key.insecure"));
  int rc = 0;
  std::string out =
      Etcdctl(kStockEtcdctl,
              absl::StrCat(tls, " --endpoints=https://127.0.0.1:", port, " put px via-srv"), &rc);
  EXPECT_EQ(out, "OK\n") << FileText(log);
  out = Etcdctl(kStockEtcdctl,
                absl::StrCat(tls, " --endpoints=", url, " get px --print-value-only"), &rc);
  EXPECT_EQ(out, "via-srv\n");
  const std::string text = FileText(log);
  EXPECT_TRUE(absl::StrContains(text, "validating discovered SRV endpoints")) << text;
  if (ours) {
    EXPECT_TRUE(absl::StrContains(
        text, absl::StrCat("m0.", kDomain, ".:", ms[0].client_port, "\\\" failed to dial (x509: ")))
        << text;
  }
}

// Both lookups failing stops either command before it listens, with Go's message.
TEST_P(DnsDiscoveryFlavorTest, NoRecordsStopTheProxies) {
  const std::string binary = Flavor(GetParam());
  if (binary.empty()) GTEST_SKIP() << WhyNotRunnable(FlavorByName(GetParam()));
  ASSERT_NO_FATAL_FAILURE(StartDns({}));
  for (const char* command : {"gateway", "grpc-proxy"}) {
    int rc = 0;
    const std::string out =
        RunCommand(absl::StrCat("timeout 20 ", InNamespace(binary), " ", command,
                                " start --listen-addr=127.0.0.1:", *PickFreePort(),
                                " --discovery-srv=", kDomain, " 2>&1"),
                   &rc);
    EXPECT_EQ(rc, 1) << command << ": " << out;
    EXPECT_TRUE(absl::StrContains(
        out, absl::StrCat("dns lookup errors: lookup _etcd-client-ssl._tcp.", kDomain,
                          " on 127.0.0.1:53: no such host and lookup _etcd-client._tcp.", kDomain,
                          " on 127.0.0.1:53: no such host\n")))
        << command << ": " << out;
  }
}

INSTANTIATE_TEST_SUITE_P(EtcdppAndEtcd, DnsDiscoveryFlavorTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
