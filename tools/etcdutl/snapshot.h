#pragma once
// etcdutl's snapshot commands, offline on files (etcd 3.5's etcdutl, and etcd 3.4's
// `etcdctl snapshot status/restore`):
//   status   what etcd's snapshot.Status computes from a bbolt file: the CRC-32C (Castagnoli) of
//            every bucket name, key and value in order, the number of keys, the highest main
//            revision in the key bucket, the database size (high-water mark x page size);
//            printed in etcdctl 3.4's simple, json and table forms.
//   restore  a snapshot (the bbolt file plus its SHA-256 trailer) into an etcdpp data dir for
//            one member of a new cluster described by etcd's flags, as etcd's restore does: the
//            trailer checked (unless --skip-hash-check), the member list from
//            --initial-cluster and --initial-cluster-token, the raft log starting at index N
//            (the number of members) in term 1, every revision, lease, user and role kept.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/go_flags.h"

namespace etcdpp::tools {

struct SnapshotStatus {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_key = 0;
  int64_t total_size = 0;
};

[[nodiscard]] absl::StatusOr<SnapshotStatus> ComputeSnapshotStatus(const std::string& path);
// etcdctl's printers: "simple", "json", "table" ("fields" too: etcdctl 3.4's fields form).
[[nodiscard]] absl::StatusOr<std::string> FormatSnapshotStatus(const SnapshotStatus& s,
                                                               const std::string& format);

struct RestoreOptions {
  std::string snapshot_path;
  std::string name = "default";
  std::string data_dir;  // default: <name>.etcd
  std::string wal_dir;   // default: <data-dir>/member/wal
  std::string initial_cluster = "default=http://localhost:2380";
  std::string initial_cluster_token = "etcd-cluster";
  std::string initial_advertise_peer_urls = "http://localhost:2380";
  bool skip_hash_check = false;
};

// The options of `snapshot restore <path>` from its flags (etcdutl's and etcdctl 3.4's share
// names: --name, --data-dir, --wal-dir, --initial-cluster, --initial-cluster-token,
// --initial-advertise-peer-urls, --skip-hash-check).
RestoreOptions RestoreOptionsFromFlags(const FlagSet& fs, const std::string& snapshot_path);

// Restores; log lines (etcd's JSON form) go to `log`. Errors carry etcd's messages.
[[nodiscard]] absl::Status RestoreSnapshot(const RestoreOptions& o, std::string* log);

}  // namespace etcdpp::tools
