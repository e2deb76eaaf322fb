#pragma once
// The member's state: the backend and everything kept in it (mvcc, leases, the member list),
// the appliers that write them, the WAL and the raft log, the snapshot files. Opened by
// OpenStores and Bootstrap, owned by EtcdServer, used by the parts it builds (logcabin's
// Globals, for one member's storage only: no threads live here).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/store.h"
#include "backend/backend.h"
#include "common/env.h"
#include "lease/lessor.h"
#include "mvcc/kvstore.h"
#include "raft/storage.h"
#include "server/apply/alarm_apply.h"
#include "server/apply/auth_apply.h"
#include "server/apply/kv_apply.h"
#include "server/apply/lease_apply.h"
#include "server/apply/v2_apply.h"
#include "server/config.h"
#include "server/membership/cluster_store.h"
#include "server/snap/snap_files.h"
#include "wal/wal.h"
#include "watch/watchable_store.h"

namespace etcdpp::server {

struct Stores {
  Env* env = nullptr;      // every file operation but LMDB's own I/O; not owned
  std::string member_dir;  // <data-dir>/member
  std::unique_ptr<backend::Backend> backend;
  std::unique_ptr<mvcc::KvStore> kv;
  std::unique_ptr<watch::WatchableStore> watch;  // observes kv's write txns
  std::unique_ptr<KvApplier> kv_applier;
  std::unique_ptr<lease::Lessor> lessor;
  std::unique_ptr<LeaseApplier> lease_applier;
  std::unique_ptr<auth::AuthStore> auth;  // users, roles, permissions, simple tokens
  std::unique_ptr<AuthApplier> auth_applier;
  std::unique_ptr<AlarmStore> alarms;  // NOSPACE, CORRUPT
  std::unique_ptr<AlarmApplier> alarm_applier;
  std::unique_ptr<V2Store> v2;  // the v2 key space (served with --enable-v2)
  std::unique_ptr<ClusterStore> cluster;
  std::unique_ptr<SnapFiles> snap_files;
  std::unique_ptr<raft::MemoryStorage> raft_storage;
  std::unique_ptr<wal::Wal> wal;  // opened by Bootstrap

  std::string snap_dir() const { return member_dir + "/snap"; }
  std::string dedicated_wal_dir;  // --wal-dir, if given
  std::string wal_dir() const {
    return dedicated_wal_dir.empty() ? member_dir + "/wal" : dedicated_wal_dir;
  }

  // Swaps in the database at `db_file` (a snapshot received from the leader) and rebuilds
  // everything read from the backend: mvcc, leases and their attachments, the member list,
  // auth store, alarms, the v2 store, watchers. The transport and the removed flag are the
  // caller's.
  [[nodiscard]] absl::Status SwapInBackend(const std::string& db_file);
};

// Opens the backend in <member_dir>/snap and the stores on it (nothing of raft yet).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Stores>> OpenStores(const Config& cfg, Env* env,
                                                                 std::string member_dir);

}  // namespace etcdpp::server
