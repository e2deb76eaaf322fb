#include "harness/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace etcdpp::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Binds 127.0.0.1:0 and returns the port the kernel chose, or -errno.
int BindEphemeral() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  sockaddr_in addr = Loopback(0);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  if (rc == 0) rc = getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int result = rc == 0 ? ntohs(addr.sin_port) : -errno;
  close(fd);
  return result;
}

}  // namespace

[[nodiscard]] absl::StatusOr<int> PickFreePort() {
  static std::mutex mu;
  static std::set<int>* handed_out = new std::set<int>();  // guarded by mu
  constexpr int kAttempts = 100;
  for (int i = 0; i < kAttempts; ++i) {
    int port = BindEphemeral();
    if (port < 0) {
      return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", std::strerror(-port)));
    }
    std::lock_guard<std::mutex> lock(mu);
    if (handed_out->insert(port).second) return port;
  }
  return absl::ResourceExhaustedError("no fresh free port after 100 attempts");
}

bool PortAcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = Loopback(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace etcdpp::testing
