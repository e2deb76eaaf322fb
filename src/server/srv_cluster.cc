#include "server/srv_cluster.h"

#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "server/log/zap_log.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace {

constexpr char kPrefix[] = "error setting up initial cluster: ";

// One service's members (pkg/srv.GetCluster): "name=scheme://target:port" for each record whose
// target resolves. `next_name` numbers the members that are not this one, across both services
// (etcd numbers each service from 0, so a mixed record set would merge members; docs/
// compatibility.md). Errors are Go's texts: a record that does not resolve or a scheme mismatch
// fails the service only when no record was usable.
absl::StatusOr<std::vector<std::string>> ServiceMembers(const std::string& scheme,
                                                        const std::string& service,
                                                        const Config& cfg, const SrvResolver& r,
                                                        int* next_name) {
  std::map<std::string, const Url*> own;  // resolved address -> advertised peer URL
  for (const Url& u : cfg.initial_advertise_peer_urls) {
    absl::StatusOr<std::string> addr = r.resolve_tcp(u.host, u.port);
    if (!addr.ok()) return addr.status();
    own[*addr] = &u;
  }
  absl::StatusOr<std::vector<SrvRecord>> recs =
      r.lookup_srv(absl::StrCat("_", service, "._tcp.", cfg.discovery_srv));
  absl::Status err = recs.status();
  std::vector<std::string> parts;
  for (const SrvRecord& rec : recs.ok() ? *recs : std::vector<SrvRecord>{}) {
    const std::string host = std::string(absl::StripSuffix(rec.target, "."));
    const std::string url = absl::StrCat(scheme, "://", JoinHostPort(host, rec.port));
    absl::StatusOr<std::string> addr = r.resolve_tcp(host, rec.port);
    if (!addr.ok()) {
      err = addr.status();
      continue;
    }
    auto it = own.find(*addr);
    if (it != own.end() && it->second->scheme != scheme) {
      err = absl::FailedPreconditionError(absl::StrCat("bootstrap at ", url, " from DNS for ",
                                                       service,
                                                       " has scheme mismatch with "
                                                       "expected peer ",
                                                       it->second->ToString()));
      continue;
    }
    const std::string name = it != own.end() ? cfg.name : absl::StrCat((*next_name)++);
    parts.push_back(absl::StrCat(name, "=", url));
  }
  if (parts.empty() && !err.ok()) {
    return absl::Status(err.code(), absl::StrCat("error querying DNS SRV records for _", service,
                                                 " ", err.message()));
  }
  return parts;
}

// etcd's "get cluster for <service> SRV" line.
void LogService(const Config& cfg, const std::string& scheme, const std::string& service,
                const std::vector<std::string>& found, const absl::Status& err) {
  std::vector<std::string> apurls;
  for (const Url& u : cfg.initial_advertise_peer_urls) apurls.push_back(u.ToString());
  log::Fields f;
  f.Str("service-scheme", scheme)
      .Str("service-name", service)
      .Str("server-name", cfg.name)
      .Str("discovery-srv", cfg.discovery_srv)
      .Strs("advertise-peer-urls", apurls)
      .Strs("found-cluster", found);
  if (!err.ok()) f.Str("error", std::string(err.message()));
  SPDLOG_INFO("{}", log::With(absl::StrCat("get cluster for ", service, " SRV"), f));
}

}  // namespace

absl::StatusOr<std::string> InitialClusterFromSrv(const Config& cfg, const SrvResolver& resolver) {
  const std::string suffix =
      cfg.discovery_srv_name.empty() ? "" : absl::StrCat("-", cfg.discovery_srv_name);
  std::vector<std::string> members;
  std::vector<std::string> errors;
  int next_name = 0;
  const std::pair<std::string, std::string> kServices[] = {{"https", "etcd-server-ssl"},
                                                           {"http", "etcd-server"}};
  for (const auto& [scheme, service] : kServices) {
    absl::StatusOr<std::vector<std::string>> got =
        ServiceMembers(scheme, service + suffix, cfg, resolver, &next_name);
    if (got.ok()) members.insert(members.end(), got->begin(), got->end());
    if (!got.ok()) errors.emplace_back(got.status().message());
    LogService(cfg, scheme, service + suffix, members, got.status());
  }
  if (!errors.empty()) {
    SPDLOG_WARN("{}", log::With("failed to resolve during SRV discovery",
                                log::Fields().Str("error", absl::StrJoin(errors, "; "))));
  }
  if (members.empty() && !errors.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(kPrefix, absl::StrJoin(errors, "; ")));
  }
  bool found = false;
  for (const std::string& m : members) {
    SPDLOG_INFO("{}",
                log::With("got bootstrap from DNS for etcd-server", log::Fields().Str("node", m)));
    found = found || absl::StartsWith(m, cfg.name + "=");
  }
  if (!found) {
    return absl::FailedPreconditionError(
        absl::StrCat(kPrefix, "cannot find local etcd member \"", cfg.name, "\" in SRV records"));
  }
  const std::string cluster = absl::StrJoin(members, ",");
  if (absl::StrContains(cluster, "https://") && cfg.peer_tls.trusted_ca_file.empty() &&
      !cfg.peer_tls.auto_tls) {
    // etcd then verifies the peers' certificates against the system's roots for the name
    // <domain> (TLSInfo.ServerName); etcdpp's peer transport verifies against a trusted CA.
    return absl::FailedPreconditionError(absl::StrCat(
        kPrefix, "--discovery-srv ", cfg.discovery_srv,
        " found https peers and --peer-trusted-ca-file is not set: verifying peer certificates "
        "against the system's roots for the name ",
        cfg.discovery_srv, " is not supported by etcdpp"));
  }
  return cluster;
}

}  // namespace etcdpp::server
