#pragma once
// Connections: --conns channels spread round robin over --endpoints, each its own TCP
// connection (etcd's tool dials one grpc.ClientConn per conn), optionally only to the leader.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/tool/options.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace etcdpp::bench {

// "http://127.0.0.1:2379" -> "127.0.0.1:2379".
std::string HostPort(const std::string& endpoint);

// The endpoint whose member is the leader (Maintenance.Status: leader == header.member_id).
[[nodiscard]] absl::StatusOr<std::string> FindLeader(
    const std::vector<std::string>& endpoints,
    std::shared_ptr<grpc::ChannelCredentials> creds = nullptr);

// Dials opts.conns channels and waits until each is connected.
[[nodiscard]] absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> Dial(const Options& opts);

}  // namespace etcdpp::bench
