#pragma once
// DNS through the system resolver, as etcd's Go code sees it: SRV records (net.LookupSRV) and
// a host:port resolved to one address (net.ResolveTCPAddr("tcp", ...)). Used by the server's
// --discovery-srv (server/srv_cluster.h) and etcdctl's --discovery-srv. Errors carry Go's
// net.DNSError text ("lookup <name> on <server>:53: no such host"), which etcd's messages embed.
// The resolver reads /etc/resolv.conf on every lookup (res_init), so a test can point it at its
// own DNS server with `ip netns exec`, which bind-mounts /etc/netns/<ns>/resolv.conf there.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcdpp {

struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // as DNS gives it, with the trailing dot ("etcd1.example.com.")
};

// The records of one SRV name, or an error whose message is Go's net.DNSError text.
using SrvLookupFn = std::function<absl::StatusOr<std::vector<SrvRecord>>(const std::string&)>;

// "ip:port" ("[ip6]:port") for host and port, or Go's error text.
using TcpResolveFn = std::function<absl::StatusOr<std::string>(const std::string&, int)>;

// pkg/srv's GetSRVService: "etcd-client" -> "etcd-client-ssl" for https, then "-<name>".
std::string SrvService(const std::string& service, const std::string& service_name, bool https);

// pkg/srv's GetClient: the records of _<service>-ssl[-<name>]._tcp.<domain> as
// "https://<target>:<port>" endpoints, then those of _<service>[-<name>]._tcp.<domain> as
// "http://..." ones (each lookup's records by priority, as Go's LookupSRV sorts them; targets
// keep their trailing dot). One lookup may fail; both failing is Go's "dns lookup errors: <https>
// and <http>".
struct SrvClients {
  std::vector<std::string> endpoints;
  std::vector<SrvRecord> records;  // records[i] is endpoints[i]'s
};
absl::StatusOr<SrvClients> GetSrvClients(const std::string& service, const std::string& domain,
                                         const std::string& service_name,
                                         const SrvLookupFn& lookup);

// Go's net.JoinHostPort: "host:port", "[v6]:port" when host has a colon.
std::string JoinHostPort(const std::string& host, int port);

// The system resolver's answer (res_query) for name's SRV records, sorted by priority (Go's
// LookupSRV order; records of equal priority keep the server's order instead of Go's weighted
// shuffle).
absl::StatusOr<std::vector<SrvRecord>> LookupSrv(const std::string& name);

// getaddrinfo's first IPv4 address of host (its first IPv6 one when host is an IPv6 literal),
// as Go's ResolveTCPAddr("tcp", host:port) picks it, printed with the port.
absl::StatusOr<std::string> ResolveTcpAddr(const std::string& host, int port);

}  // namespace etcdpp
