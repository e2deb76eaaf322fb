#include "server/gateway/gateway_command.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/cobra_group.h"
#include "common/go_flags.h"
#include "common/go_text.h"
#include "common/sd_notify.h"
#include "server/gateway/tcp_proxy.h"
#include "server/log/zap_log.h"
#include "server/srv_endpoints.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::gateway {
namespace {

// ---- The command line: etcd's flags of `gateway start`.

void AddStartFlags(FlagSet* fs) {
  fs->AddString("listen-addr", "127.0.0.1:23790", "listen address");
  fs->AddString("discovery-srv", "", "DNS domain used to bootstrap initial cluster");
  fs->AddString("discovery-srv-name", "", "service name to query when using DNS discovery");
  fs->AddBool("insecure-discovery", false, "accept insecure SRV records");
  fs->AddString("trusted-ca-file", "",
                "path to the client server TLS CA file for verifying the discovered endpoints "
                "when discovery-srv is provided.");
  fs->AddStringSlice("endpoints", {"127.0.0.1:2379"}, "comma separated etcd cluster endpoints");
  fs->Add("retry-delay", "", FlagType::kDuration, "1m0s",
          "duration of delay before retrying failed endpoints");
}

// ---- Start-up checks (gateway.go startGateway), with its messages on stdout.

int Exit(const std::string& stdout_text) {
  std::cout << stdout_text << std::flush;
  return 1;
}

// stripSchema: "http://host:port/..." -> "host:port"; anything url.Parse gives no host is kept.
std::string StripScheme(const std::string& ep) {
  const size_t at = ep.find("://");
  if (at == std::string::npos) return ep;
  std::string host = ep.substr(at + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (size_t user = host.rfind('@'); user != std::string::npos) host = host.substr(user + 1);
  return host.empty() ? ep : host;
}

// Go's net.SplitHostPort: "host:port" or "[v6]:port".
bool SplitHostPort(const std::string& hp, std::string* host, std::string* port) {
  if (absl::StartsWith(hp, "[")) {
    const size_t close = hp.find("]:");
    if (close == std::string::npos || hp.find(']') != close) return false;
    *host = hp.substr(1, close - 1);
    *port = hp.substr(close + 2);
    return port->find_first_of("[]:") == std::string::npos;
  }
  const size_t colon = hp.find(':');
  if (colon == std::string::npos || hp.find(':', colon + 1) != std::string::npos) return false;
  if (hp.find_first_of("[]") != std::string::npos) return false;
  *host = hp.substr(0, colon);
  *port = hp.substr(colon + 1);
  return true;
}

std::string IpText(const sockaddr_storage& a) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, ip, sizeof ip);
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, ip, sizeof ip);
  }
  return ip;
}

// The addresses of host (a name or an IP) with `port`; empty when it does not resolve.
std::vector<sockaddr_storage> Resolve(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::vector<sockaddr_storage> out;
  if (host.empty() || getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) {
    return out;
  }
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    sockaddr_storage s{};
    std::memcpy(&s, a->ai_addr, a->ai_addrlen);
    out.push_back(s);
  }
  freeaddrinfo(res);
  return out;
}

// --discovery-srv and its companions, as etcdmain's discoverEndpoints reads them.
ClientDiscovery Discovery(const FlagSet& fs) {
  return {fs.GetString("discovery-srv"), fs.GetString("discovery-srv-name"),
          fs.GetBool("insecure-discovery"), fs.GetString("trusted-ca-file")};
}

// Discovery flags that have nothing to act on in this configuration, said once at start-up.
void WarnIdleDiscoveryFlags(const ClientDiscovery& d) {
  if (!d.domain.empty()) {
    if (!d.trusted_ca_file.empty() && d.insecure) {
      SPDLOG_WARN(
          "--trusted-ca-file has no effect with --insecure-discovery: discovered "
          "endpoints are not checked");
    }
    return;
  }
  if (!d.service_name.empty())
    SPDLOG_WARN("--discovery-srv-name has no effect without --discovery-srv");
  if (d.insecure) SPDLOG_WARN("--insecure-discovery has no effect without --discovery-srv");
  if (!d.trusted_ca_file.empty())
    SPDLOG_WARN("--trusted-ca-file has no effect without --discovery-srv");
}

// The members to proxy to, resolved, or the exit code of a failed check.
struct Plan {
  std::vector<ResolvedEndpoint> endpoints;
  std::vector<sockaddr_storage> listen_addrs;
  std::string listen_addr;
  int exit_code = 0;
};

// The discovered records when there are any (srvs), else --endpoints without their schemes.
Plan CheckEndpoints(const FlagSet& fs, const SrvClients& srvs) {
  Plan plan;
  plan.listen_addr = fs.GetString("listen-addr");
  for (const SrvRecord& rec : srvs.records) {
    ResolvedEndpoint r;
    r.endpoint.host = rec.target;
    r.endpoint.port = rec.port;
    plan.endpoints.push_back(std::move(r));
  }
  for (const std::string& raw :
       srvs.records.empty() ? fs.GetStringSlice("endpoints") : std::vector<std::string>{}) {
    const std::string ep = StripScheme(raw);
    std::string host, port;
    if (!SplitHostPort(ep, &host, &port)) {
      plan.exit_code = Exit(absl::StrCat("error parsing endpoint ", GoQuote(ep)));
      return plan;
    }
    ResolvedEndpoint r;
    r.endpoint.host = host;
    uint32_t p = 0;
    r.endpoint.port = absl::SimpleAtoi(port, &p) && p <= 65535 ? p : 0;  // Go's Sscanf("%d")
    plan.endpoints.push_back(std::move(r));
  }
  std::string lhost, lport;
  if (!SplitHostPort(plan.listen_addr, &lhost, &lport)) {
    plan.exit_code =
        Exit(absl::StrCat("failed to validate listen address: ", plan.listen_addr, "\n"));
    return plan;
  }
  uint32_t lport_num = 0;
  if (!absl::SimpleAtoi(lport, &lport_num) || lport_num > 65535) lport_num = 0;
  plan.listen_addrs = Resolve(lhost, static_cast<uint16_t>(lport_num));
  if (plan.listen_addrs.empty()) {
    plan.exit_code = Exit(absl::StrCat("failed to resolve listen host: ", lhost, "\n"));
    return plan;
  }
  std::set<std::string> listen_ips;
  for (const sockaddr_storage& a : plan.listen_addrs) listen_ips.insert(IpText(a));
  for (ResolvedEndpoint& r : plan.endpoints) {
    const Endpoint& e = r.endpoint;
    r.addrs = Resolve(e.host, e.port);
    if (r.addrs.empty()) {
      plan.exit_code = Exit(absl::StrCat("failed to resolve endpoint host: ", e.host, "\n"));
      return plan;
    }
    if (std::to_string(e.port) != lport) continue;
    for (const sockaddr_storage& a : r.addrs) {
      if (listen_ips.count(IpText(a)) == 0) continue;
      plan.exit_code = Exit(absl::StrFormat(
          "SRV or endpoint (%s:%d->%s:%d) should not resolve to the gateway listen addr (%s)\n",
          e.host, e.port, IpText(a), e.port, plan.listen_addr));
      return plan;
    }
  }
  if (plan.endpoints.empty()) plan.exit_code = Exit("no endpoints found\n");
  return plan;
}

// net.Listen("tcp", addr) on the first address of the listen host; Go's error text on failure.
int Listen(const Plan& plan) {
  const sockaddr_storage& a = plan.listen_addrs.front();
  int fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const char* step = "socket";
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const socklen_t len = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    step = "bind";
    if (bind(fd, reinterpret_cast<const sockaddr*>(&a), len) == 0) {
      step = "listen";
      if (listen(fd, SOMAXCONN) == 0) return fd;
    }
  }
  std::string err = std::strerror(errno);
  err[0] = absl::ascii_tolower(err[0]);
  std::cerr << "listen tcp " << plan.listen_addr << ": " << step << ": " << err << "\n";
  if (fd >= 0) close(fd);
  return -1;
}

int Start(const FlagSet& fs) {
  // zap.NewProduction: JSON lines on stderr, info and above.
  log::LogSetup setup;
  setup.outputs = {"stderr"};
  if (absl::Status st = log::SetUpLogging(setup); !st.ok()) {
    std::cerr << st.message() << "\n";
    return 1;
  }
  const ClientDiscovery discovery = Discovery(fs);
  WarnIdleDiscoveryFlags(discovery);
  absl::StatusOr<SrvClients> srvs = DiscoverClientEndpoints(discovery);
  if (!srvs.ok()) {
    std::cerr << srvs.status().message() << "\n";
    return 1;
  }
  Plan plan = CheckEndpoints(fs, *srvs);
  if (plan.exit_code != 0) return plan.exit_code;
  int listen_fd = Listen(plan);
  if (listen_fd < 0) return 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
      TcpProxy::Open(listen_fd, std::move(plan.endpoints), fs.GetDuration("retry-delay"), sig_fd);
  if (!proxy.ok()) {
    std::cerr << proxy.status().message() << "\n";
    return 1;
  }
  if (absl::Status st = SdNotify("READY=1"); !st.ok()) {
    SPDLOG_ERROR("{}", log::With("failed to notify systemd for readiness",
                                 log::Fields().Str("error", std::string(st.message()))));
  }
  absl::Status st = (*proxy)->Run();
  if (!st.ok()) SPDLOG_ERROR("{}", std::string(st.message()));
  if (sig_fd >= 0) close(sig_fd);
  return st.ok() ? 0 : 1;
}

}  // namespace

int RunGatewayCommand(const std::vector<std::string>& args) {
  return RunStartGroup(
      {"gateway", "gateway related command", "start the gateway", AddStartFlags, Start}, args);
}

}  // namespace etcdpp::server::gateway
