#include "resident_memory.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace etcdpp::etcdctl {
namespace {

// A port the kernel hands out on 127.0.0.1, released (a small race, as every test here takes).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// `openssl s_server -HTTP` in `dir` (it answers GET /metrics with the file `metrics`) with a
// certificate made for the test; stopped by its PID.
class TlsMetricsServer {
 public:
  TlsMetricsServer(const std::string& dir, const std::string& cert) : port_(FreePort()) {
    const std::string accept = absl::StrCat("127.0.0.1:", port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::chdir(dir.c_str()) != 0) ::_exit(127);
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-HTTP", "-accept", accept.c_str(),
               "-cert", (cert + ".crt").c_str(), "-key", (cert + ".key").c_str(), nullptr);
      ::_exit(127);
    }
    const absl::Time by = absl::Now() + absl::Seconds(10);
    while (!Accepts(port_) && absl::Now() < by) absl::SleepFor(absl::Milliseconds(20));
  }
  ~TlsMetricsServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }

 private:
  const int port_;
  pid_t pid_ = -1;
};

class ResidentMemoryTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etcdctl-rss-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/metrics") << "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                                     << "process_resident_memory_bytes 12345\n";
    // Self-signed certificates, each its own trust anchor: one for the IP the client dials,
    // one for another name only.
    MakeCert("ip", "IP:127.0.0.1");
    MakeCert("other", "DNS:other.example");
  }
  void TearDown() override {
    ASSERT_EQ(std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()), 0);
  }
  void MakeCert(const std::string& name, const std::string& san) {
    const std::string cmd =
        absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=", name,
                     " -addext ", "subjectAltName=", san, " -keyout '", dir_, "/", name,
                     ".key' -out '", dir_, "/", name, ".crt' >/dev/null 2>&1");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // What `check datascale` reads from a server presenting `cert`, trusting that certificate.
  double Read(const std::string& cert, std::string* printed) {
    TlsMetricsServer server(dir_, dir_ + "/" + cert);
    ClientConfig cfg;
    cfg.cacert = dir_ + "/" + cert + ".crt";
    cfg.cert = cfg.cacert;  // a client certificate is required for https; the server asks none
    cfg.key = dir_ + "/" + cert + ".key";
    ::testing::internal::CaptureStdout();
    double v = ResidentMemoryBytes(absl::StrCat("https://127.0.0.1:", server.port()), cfg);
    *printed = ::testing::internal::GetCapturedStdout();
    return v;
  }
  std::string dir_;
};

// The server's certificate must name the host dialled, not merely chain to the trusted CA (the
// /metrics fetch once checked the chain only: any certificate the CA signed would do).
TEST_F(ResidentMemoryTlsTest, CertificateMustNameTheHost) {
  std::string printed;
  EXPECT_EQ(Read("ip", &printed), 12345) << printed;
  EXPECT_EQ(Read("other", &printed), 0);
  EXPECT_TRUE(absl::StartsWith(printed, "fetch error: Get \"https://127.0.0.1:")) << printed;
  EXPECT_TRUE(absl::StrContains(printed, "certificate verify failed")) << printed;
}

}  // namespace
}  // namespace etcdpp::etcdctl
