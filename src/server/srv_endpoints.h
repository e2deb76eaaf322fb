#pragma once
// --discovery-srv for `etcdpp gateway start` and `etcdpp grpc-proxy start` (etcdmain's
// discoverEndpoints): the members' client endpoints from the SRV records
// _etcd-client-ssl[-<name>]._tcp.<domain> (https) and _etcd-client[-<name>]._tcp.<domain>
// (http), pkg/srv.GetClient's (common/dns_srv.h).
//
// With --insecure-discovery every record is used. Without it each endpoint is validated as
// etcd's transport.ValidateSecureEndpoints does: an http endpoint is dropped ("\"<ep>\" is
// insecure"), an https one must accept a connection within 5 s ("\"<ep>\" failed to dial
// (<why>)"); the failures are logged ("failed to validate discovered endpoints") and the
// endpoints that passed are used. With --trusted-ca-file the https check is a TLS handshake
// whose certificate must chain to that CA and carry the record's target name. etcd 3.4 accepts
// the flag but never reads the file (its TLSInfo without a certificate builds no TLS config);
// etcdpp honours it (docs/compatibility.md).
//
// An empty result (no records passed) makes the commands fall back to --endpoints, as etcd's
// do; a failed lookup of both services is an error the commands print before exiting 1.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/dns_srv.h"

namespace etcdpp::server {

struct ClientDiscovery {
  std::string domain;           // --discovery-srv ("": no discovery)
  std::string service_name;     // --discovery-srv-name
  bool insecure = false;        // --insecure-discovery
  std::string trusted_ca_file;  // --trusted-ca-file ("": a TCP connect is the check)
};

// Checks one https endpoint: target (its trailing dot kept) and port of its record; the CA's
// PEM ("" for a plain TCP connect). Ok, or the reason in Go's words where it has them.
using EndpointCheck =
    std::function<absl::Status(const std::string& target, int port, const std::string& ca_pem)>;

// The TCP (or TLS) check above, bounded to 5 s.
absl::Status DialEndpoint(const std::string& target, int port, const std::string& ca_pem);

// The discovered endpoints and their records, validated unless d.insecure; empty when
// d.domain is empty. Errors: both lookups failed, or the CA file cannot be read.
absl::StatusOr<SrvClients> DiscoverClientEndpoints(const ClientDiscovery& d,
                                                   const SrvLookupFn& lookup = LookupSrv,
                                                   const EndpointCheck& check = DialEndpoint);

}  // namespace etcdpp::server
