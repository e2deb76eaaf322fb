#pragma once
// etcdutl backup: an offline copy of a stopped member's data dir from which a new one-member
// cluster starts with --force-new-cluster (etcd 3.5's etcdutl backup, on etcdpp's formats).
//
// As etcd's HandleBackup: a new member id and cluster id (etcd's idutil generator seeded with
// the time), one member "etcdctl-v2-backup" with the peer URL
// "http://use-flag--force-new-cluster:2080"; the WAL rewritten under the new ids with its conf
// changes and member attribute updates replaced by empty entries of the same term and index
// (so the consistent index stays valid); the v3 backend copied (--with-v3, the default) with its
// member buckets replaced by the new member.
//
// Where etcdpp's format differs from etcd's:
//   - the backup's raft snapshot is at the backend's consistent index (a snapshot file holds no
//     v2 store here, only the member list): the WAL keeps the entries above it. etcd keeps the
//     source's snapshot index instead.
//   - --with-v3=false: etcdpp has no v2 store, so the backup holds no keys: an empty backend
//     whose consistent index is the WAL's commit index, and every request entry replaced by an
//     empty one (etcd replaces the v3 entries the same way).
//   - a data dir a running member holds (its WAL locked) is refused before anything is
//     written; etcd fails on bbolt's lock after a second.
//   - the source WAL is read as the member's own restart reads it (wal::Wal::ReadAll): a torn
//     final record (a write a crash cut short, never acknowledged) is cut off the source too.

#include <string>

#include "absl/status/status.h"

namespace etcdpp::tools {

struct BackupOptions {
  std::string data_dir;
  std::string backup_dir;
  std::string wal_dir;         // default <data_dir>/member/wal
  std::string backup_wal_dir;  // default <backup_dir>/member/wal
  bool with_v3 = true;
};

// Writes the backup; log lines (zap's console form, etcd's messages) go to `log`. A backup dir
// that already holds a member is refused.
[[nodiscard]] absl::Status Backup(const BackupOptions& o, std::string* log);

}  // namespace etcdpp::tools
