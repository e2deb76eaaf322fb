#pragma once
// --discovery-srv (ctlv3/command/global.go endpointsFromFlagValue, pkg/srv GetClient): the
// client endpoints from the SRV records _etcd-client-ssl._tcp.<domain> (https://) and
// _etcd-client._tcp.<domain> (http://), with --discovery-srv-name appended to the service
// ("_etcd-client-ssl-<name>._tcp..."). Unless --insecure-discovery, http:// endpoints are dropped
// with "ignoring discovered insecure endpoint" on stderr. Both lookups failing is an error with
// Go's text: `dns lookup errors: lookup <name> on <server>:53: no such host and ...`.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/dns_srv.h"

namespace etcdpp::etcdctl {

// The endpoints discovered for domain ("https://etcd1.example.com.:2379", https ones first,
// each lookup's records by priority); the insecure ones dropped (with a warning on `warn`)
// unless `insecure`. `lookup` is LookupSrv (common/dns_srv.h) outside tests.
absl::StatusOr<std::vector<std::string>> DiscoverEndpoints(const std::string& domain,
                                                           const std::string& service_name,
                                                           bool insecure, const SrvLookupFn& lookup,
                                                           std::ostream& warn);

}  // namespace etcdpp::etcdctl
