#include "srv_discovery.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <resolv.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace etcdpp::etcdctl {
namespace {

constexpr int kHeaderSize = 12;
constexpr uint16_t kTypeSrv = 33;

uint16_t Be16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The first name server as Go names it in its errors ("10.0.0.53:53", "[::1]:53").
std::string NameServer() {
  if (_res.nscount < 1) return "127.0.0.1:53";
  const sockaddr_in& a = _res.nsaddr_list[0];
  char ip[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return absl::StrCat(ip, ":", ntohs(a.sin_port));
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

}  // namespace

std::string SrvService(const std::string& service, const std::string& service_name, bool https) {
  std::string s = https ? service + "-ssl" : service;
  return service_name.empty() ? s : absl::StrCat(s, "-", service_name);
}

absl::StatusOr<std::vector<SrvRecord>> LookupSrv(const std::string& name) {
  res_init();
  unsigned char buf[65536];
  const int n = res_query(name.c_str(), C_IN, kTypeSrv, buf, sizeof buf);
  if (n < 0) {
    // Go: NXDOMAIN and an empty answer are "no such host"; a failing server "server
    // misbehaving".
    const bool missing = h_errno == HOST_NOT_FOUND || h_errno == NO_DATA;
    return absl::NotFoundError(absl::StrCat("lookup ", name, " on ", NameServer(), ": ",
                                            missing ? "no such host" : "server misbehaving"));
  }
  return ParseReply(buf, n);
}

absl::StatusOr<std::vector<std::string>> DiscoverEndpoints(const std::string& domain,
                                                           const std::string& service_name,
                                                           bool insecure, const SrvLookupFn& lookup,
                                                           std::ostream& warn) {
  std::vector<std::string> eps;
  std::string errs[2];
  int failed = 0;
  for (bool https : {true, false}) {
    const std::string name =
        absl::StrCat("_", SrvService("etcd-client", service_name, https), "._tcp.", domain);
    absl::StatusOr<std::vector<SrvRecord>> recs = lookup(name);
    if (!recs.ok()) {
      errs[failed++] = std::string(recs.status().message());
      continue;
    }
    std::stable_sort(recs->begin(), recs->end(), [](const SrvRecord& a, const SrvRecord& b) {
      return a.priority < b.priority;
    });
    for (const SrvRecord& r : *recs) {
      eps.push_back(absl::StrCat(https ? "https://" : "http://", r.target, ":", r.port));
    }
  }
  if (failed == 2) {
    return absl::NotFoundError(absl::StrCat("dns lookup errors: ", errs[0], " and ", errs[1]));
  }
  if (insecure) return eps;
  std::vector<std::string> secure;
  for (const std::string& ep : eps) {
    if (absl::StartsWith(ep, "http://")) {
      warn << "ignoring discovered insecure endpoint \"" << ep << "\"\n";
      continue;
    }
    secure.push_back(ep);
  }
  return secure;
}

}  // namespace etcdpp::etcdctl
