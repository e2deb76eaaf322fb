#pragma once
// --discovery-srv (ctlv3/command/global.go endpointsFromFlagValue, pkg/srv GetClient): the
// client endpoints from the SRV records _etcd-client-ssl._tcp.<domain> (https://) and
// _etcd-client._tcp.<domain> (http://), with --discovery-srv-name appended to the service
// ("_etcd-client-ssl-<name>._tcp..."). Unless --insecure-discovery, http:// endpoints are dropped
// with "ignoring discovered insecure endpoint" on stderr. Both lookups failing is an error with
// Go's text: `dns lookup errors: lookup <name> on <server>:53: no such host and ...`.

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcdpp::etcdctl {

struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // as DNS gives it, with the trailing dot ("etcd1.example.com.")
};

// The records of one SRV name, or an error whose message is Go's net.DNSError text.
using SrvLookupFn = std::function<absl::StatusOr<std::vector<SrvRecord>>(const std::string&)>;

// pkg/srv's GetSRVService: "etcd-client" -> "etcd-client-ssl" for https, then "-<name>".
std::string SrvService(const std::string& service, const std::string& service_name, bool https);

// The endpoints discovered for domain ("https://etcd1.example.com.:2379", https ones first,
// each lookup's records by priority); the insecure ones dropped (with a warning on `warn`)
// unless `insecure`.
absl::StatusOr<std::vector<std::string>> DiscoverEndpoints(const std::string& domain,
                                                           const std::string& service_name,
                                                           bool insecure, const SrvLookupFn& lookup,
                                                           std::ostream& warn);

// The system resolver's answer (res_query) for name's SRV records.
absl::StatusOr<std::vector<SrvRecord>> LookupSrv(const std::string& name);

}  // namespace etcdpp::etcdctl
