#pragma once
// How a member's raft state comes to be (etcd's bootstrap.go): a new member writes its WAL and
// bootstraps raft with --initial-cluster (or the SRV records --discovery-srv names,
// srv_cluster.h); a restarted one replays its WAL after the newest usable snapshot (finishing
// the install of a received database a crash interrupted) and is checked against its flags; a
// member joining an existing cluster learns the member list from the running members and starts
// empty. A founding member whose first start was cut short before its WAL held a record
// bootstraps again.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "raft/rawnode.h"
#include "server/config.h"
#include "server/membership/membership.h"
#include "server/stores.h"

namespace etcdpp::server {

struct Bootstrapped {
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  std::unique_ptr<raft::RawNode> raw;  // raft over stores->raft_storage
  std::vector<Member> join_peers;      // the members learned when joining an existing cluster
  bool restarted = false;              // the member had a WAL (etcd's memberInitialized)
};

// Opens stores->wal and fills stores->raft_storage. `install_db` swaps in a received database
// whose install a crash interrupted (restart only).
[[nodiscard]] absl::StatusOr<Bootstrapped> Bootstrap(
    const Config& cfg, Stores* stores,
    const std::function<absl::Status(const std::string&)>& install_db);

// The raft configuration of member `id` over `storage` (etcd's raft.Config from the flags).
[[nodiscard]] absl::StatusOr<std::unique_ptr<raft::RawNode>> NewRawNode(
    const Config& cfg, uint64_t id, raft::MemoryStorage* storage, uint64_t applied);

}  // namespace etcdpp::server
