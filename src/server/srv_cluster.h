#pragma once
// --discovery-srv: a founding member's --initial-cluster from DNS SRV records, as etcd's
// embed.Config.PeerURLsMapAndToken and pkg/srv.GetCluster build it.
//
//   _etcd-server-ssl[-<discovery-srv-name>]._tcp.<domain>   peers at https://<target>:<port>
//   _etcd-server[-<discovery-srv-name>]._tcp.<domain>       peers at http://<target>:<port>
//
// Both are looked up and their members combined (etcd 3.5+; etcd 3.4 uses the https records
// only, docs/compatibility.md). Each record's target:port is resolved; the one that resolves
// to the address of one of this member's --initial-advertise-peer-urls is this member (named
// --name), the others get placeholder names "0", "1", ... (they publish their real names once
// they run; member ids come from the URLs and the token, not the names). A matching record of
// the other scheme is etcd's "scheme mismatch" error. Errors carry etcd's messages, prefixed
// "error setting up initial cluster: " as etcd's StartEtcd does.

#include <string>

#include "absl/status/statusor.h"
#include "common/dns_srv.h"
#include "server/config.h"

namespace etcdpp::server {

struct SrvResolver {
  SrvLookupFn lookup_srv = LookupSrv;
  TcpResolveFn resolve_tcp = ResolveTcpAddr;
};

// "name=url,..." for cfg.discovery_srv, with cfg.name among the names, or etcd's error.
[[nodiscard]] absl::StatusOr<std::string> InitialClusterFromSrv(
    const Config& cfg, const SrvResolver& resolver = SrvResolver());

}  // namespace etcdpp::server
