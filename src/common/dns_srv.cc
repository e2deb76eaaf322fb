#include "common/dns_srv.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"

namespace etcdpp {
namespace {

constexpr int kHeaderSize = 12;
constexpr uint16_t kTypeSrv = 33;

uint16_t Be16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The first name server as Go names it in its errors ("10.0.0.53:53"). Call after res_init.
std::string NameServer() {
  if (_res.nscount < 1) return "127.0.0.1:53";
  const sockaddr_in& a = _res.nsaddr_list[0];
  char ip[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return absl::StrCat(ip, ":", ntohs(a.sin_port));
}

// Go's net.DNSError text for a failed lookup of name.
std::string LookupError(const std::string& name, bool missing) {
  return absl::StrCat("lookup ", name, " on ", NameServer(), ": ",
                      missing ? "no such host" : "server misbehaving");
}

// The SRV answers of a DNS reply (RFC 1035 4.1, RFC 2782).
absl::StatusOr<std::vector<SrvRecord>> ParseReply(const unsigned char* msg, int len) {
  if (len < kHeaderSize) return absl::DataLossError("short DNS reply");
  const unsigned char* end = msg + len;
  const unsigned char* p = msg + kHeaderSize;
  for (int q = Be16(msg + 4); q > 0; --q) {
    const int n = dn_skipname(p, end);
    if (n < 0 || p + n + 4 > end) return absl::DataLossError("bad DNS question");
    p += n + 4;
  }
  std::vector<SrvRecord> out;
  for (int a = Be16(msg + 6); a > 0; --a) {
    const int n = dn_skipname(p, end);
    if (n < 0 || p + n + 10 > end) return absl::DataLossError("bad DNS answer");
    p += n;
    const uint16_t type = Be16(p), rdlen = Be16(p + 8);
    p += 10;
    if (p + rdlen > end) return absl::DataLossError("bad DNS answer");
    if (type == kTypeSrv && rdlen > 6) {
      SrvRecord r{Be16(p), Be16(p + 2), Be16(p + 4), ""};
      char name[NS_MAXDNAME];
      if (dn_expand(msg, end, p + 6, name, sizeof name) < 0) {
        return absl::DataLossError("bad SRV target");
      }
      r.target = absl::StrCat(name, ".");
      out.push_back(std::move(r));
    }
    p += rdlen;
  }
  return out;
}

std::string AddressText(const sockaddr* sa, int port) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, ip, sizeof ip);
    return absl::StrCat("[", ip, "]:", port);
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, ip, sizeof ip);
  return absl::StrCat(ip, ":", port);
}

}  // namespace

std::string SrvService(const std::string& service, const std::string& service_name, bool https) {
  std::string s = https ? service + "-ssl" : service;
  return service_name.empty() ? s : absl::StrCat(s, "-", service_name);
}

std::string JoinHostPort(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

absl::StatusOr<SrvClients> GetSrvClients(const std::string& service, const std::string& domain,
                                         const std::string& service_name,
                                         const SrvLookupFn& lookup) {
  SrvClients out;
  std::string errs[2];
  int failed = 0;
  for (bool https : {true, false}) {
    absl::StatusOr<std::vector<SrvRecord>> recs =
        lookup(absl::StrCat("_", SrvService(service, service_name, https), "._tcp.", domain));
    if (!recs.ok()) {
      errs[failed++] = std::string(recs.status().message());
      continue;
    }
    std::stable_sort(recs->begin(), recs->end(), [](const SrvRecord& a, const SrvRecord& b) {
      return a.priority < b.priority;
    });
    for (SrvRecord& r : *recs) {
      out.endpoints.push_back(
          absl::StrCat(https ? "https://" : "http://", JoinHostPort(r.target, r.port)));
      out.records.push_back(std::move(r));
    }
  }
  if (failed == 2) {
    return absl::NotFoundError(absl::StrCat("dns lookup errors: ", errs[0], " and ", errs[1]));
  }
  return out;
}

absl::StatusOr<std::vector<SrvRecord>> LookupSrv(const std::string& name) {
  res_init();
  unsigned char buf[65536];
  const int n = res_query(name.c_str(), C_IN, kTypeSrv, buf, sizeof buf);
  if (n < 0) {
    // Go: NXDOMAIN and an empty answer are "no such host"; a failing server "server
    // misbehaving".
    return absl::NotFoundError(LookupError(name, h_errno == HOST_NOT_FOUND || h_errno == NO_DATA));
  }
  absl::StatusOr<std::vector<SrvRecord>> recs = ParseReply(buf, n);
  if (recs.ok()) {
    std::stable_sort(recs->begin(), recs->end(), [](const SrvRecord& a, const SrvRecord& b) {
      return a.priority < b.priority;
    });
  }
  return recs;
}

absl::StatusOr<std::string> ResolveTcpAddr(const std::string& host, int port) {
  res_init();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    return absl::NotFoundError(LookupError(host, rc == EAI_NONAME || rc == EAI_NODATA));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(res, &freeaddrinfo);
  const int want = host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == want) return AddressText(ai->ai_addr, port);
  }
  return absl::NotFoundError(absl::StrCat("address ", host, ": no suitable address found"));
}

}  // namespace etcdpp
