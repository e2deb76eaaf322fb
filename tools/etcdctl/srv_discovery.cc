#include "srv_discovery.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace etcdpp::etcdctl {

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
