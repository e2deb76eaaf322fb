#pragma once
// etcd 3.4's v2 discovery (--discovery URL, etcdserver/api/v2discovery): the founding members of
// a new cluster register under a token of a v2 keys service (an etcd 3.4, or an etcdpp with
// --enable-v2) and wait until _config/size of them have; the first `size` registrations, in
// creation order, are the initial cluster.
//
//   <url>/_config/size         the cluster size, set by whoever made the token
//   <url>/<member id in hex>   "name=peerURL[,name=peerURL...]" of each member, created once
//
// Errors carry etcd's texts ("discovery: cluster is full", "discovery: found duplicate id", ...);
// an unreachable service is retried for ever with etcd's backoff (2^n seconds, at most 256).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace etcdpp::server {

// etcd's discovery errors, for the caller's choice (the full-cluster fallback, the advice on a
// duplicate id).
inline constexpr char kDiscoveryFullCluster[] = "discovery: cluster is full";
inline constexpr char kDiscoveryDuplicateId[] = "discovery: found duplicate id";
inline constexpr char kDiscoveryDuplicateName[] = "discovery: found duplicate name";

struct DiscoveryOptions {
  std::string url;    // --discovery: http(s)://host:port/v2/keys/<path to the token>
  std::string proxy;  // --discovery-proxy ("" none: the environment's proxies are not used)
};

// JoinCluster: registers member `id` with `config` (its "name=peerURL,..."), then waits for the
// cluster to fill; returns the initial cluster ("name=url,..."). A full cluster fails with
// kDiscoveryFullCluster before registering.
[[nodiscard]] absl::StatusOr<std::string> DiscoveryJoinCluster(const DiscoveryOptions& opts,
                                                               uint64_t id,
                                                               const std::string& config);

// GetCluster: the cluster the token describes, without registering (waits until it is full).
[[nodiscard]] absl::StatusOr<std::string> DiscoveryGetCluster(const DiscoveryOptions& opts);

}  // namespace etcdpp::server
