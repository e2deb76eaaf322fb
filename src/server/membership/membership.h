#pragma once
// Cluster membership as etcd derives it: member IDs from peer URLs and the cluster token,
// the cluster ID from the sorted member IDs (etcd's membership/member.go and cluster.go).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcdpp::internalpb {
class MemberRecord;
}  // namespace etcdpp::internalpb

namespace etcdpp::server {

struct Member {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

// First 8 bytes (big-endian) of sha1(sorted peer URLs concatenated + token).
uint64_t ComputeMemberId(std::vector<std::string> peer_urls, const std::string& token);
// First 8 bytes (big-endian) of sha1 over the sorted member IDs, each 8 bytes big-endian.
uint64_t ComputeClusterId(std::vector<uint64_t> member_ids);

// Parses --initial-cluster ("a=http://h:1,a=http://h:2,b=...") into members with IDs.
[[nodiscard]] absl::StatusOr<std::vector<Member>> ParseInitialCluster(
    const std::string& initial_cluster, const std::string& token);

// Member records as they travel in conf-change contexts, the members bucket and peer answers.
internalpb::MemberRecord ToRecord(const Member& m);
Member FromRecord(const internalpb::MemberRecord& rec);
std::string EncodeMember(const Member& m);
[[nodiscard]] absl::StatusOr<Member> DecodeMember(std::string_view data);

}  // namespace etcdpp::server
