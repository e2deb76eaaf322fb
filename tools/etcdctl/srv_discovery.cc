#include "srv_discovery.h"

#include "absl/strings/match.h"

namespace etcdpp::etcdctl {

absl::StatusOr<std::vector<std::string>> DiscoverEndpoints(const std::string& domain,
                                                           const std::string& service_name,
                                                           bool insecure, const SrvLookupFn& lookup,
                                                           std::ostream& warn) {
  absl::StatusOr<SrvClients> found = GetSrvClients("etcd-client", domain, service_name, lookup);
  if (!found.ok()) return found.status();
  std::vector<std::string>& eps = found->endpoints;
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
