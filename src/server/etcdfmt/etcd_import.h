#pragma once
// Imports etcd's data into etcdpp's formats: an etcd backend (a bbolt file: an etcd member's
// member/snap/db, or a snapshot from `etcdctl snapshot save`) becomes an etcdpp member dir
// (member/snap/db in LMDB, a raft snapshot file, a WAL), and an etcd 3.4 data dir is adopted
// in place. Revisions, versions, create revisions, leases, users, roles, permissions, alarms
// and the compaction marks are kept as they are: the encodings of those buckets are etcd's
// (backend/schema.h).
//
// The bbolt file, bucket by bucket (etcd 3.4; what 3.5 and 3.6 add is named):
//   key, lease, alarm, auth, authUsers, authRoles, cluster   copied
//   meta        consistent_index: replaced by ImportSpec::index; finishedCompactRev and
//               scheduledCompactRev: copied; term and confState (3.5) and storageVersion (3.6):
//               left out (the raft state comes from ImportSpec); any other key is refused
//   members, members_removed   replaced by ImportSpec's member list (etcd's restore leaves the
//               old cluster's members there; etcd 3.4 itself reads them from its v2 store)
//   anything else   refused, naming the bucket
// Nothing is half-written: the member dir is built under a temporary name and renamed into
// place only once every file in it is durable.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/env.h"
#include "raft/types.h"
#include "server/membership/membership.h"

namespace etcdpp::server::etcdfmt {

struct ImportSpec {
  std::string bbolt_path;  // etcd's backend
  std::string member_dir;  // the etcdpp member dir to create; must not exist
  uint64_t member_id = 0;  // this member (the WAL's metadata)
  uint64_t cluster_id = 0;
  std::vector<Member> members;        // the member list at `index`
  std::vector<uint64_t> removed_ids;  // members removed before `index`
  uint64_t index = 0;                 // the raft index the backend holds (its consistent index)
  uint64_t term = 0;                  // the term of that entry
  raft::HardState state;              // the hard state to persist; commit >= index
};

struct ImportStats {
  uint64_t keys = 0;  // revisions in the key bucket (tombstones included)
  uint64_t leases = 0;
  uint64_t users = 0;
  uint64_t roles = 0;
  uint64_t etcd_consistent_index = 0;  // what the bbolt file's meta held
};

// Builds ImportSpec::member_dir. On error, nothing is left at member_dir.
[[nodiscard]] absl::StatusOr<ImportStats> ImportEtcdMember(Env* env, const ImportSpec& spec);

// The consistent index stored in an etcd bbolt file's meta bucket (0 if absent).
[[nodiscard]] absl::StatusOr<uint64_t> EtcdConsistentIndex(Env* env, const std::string& bbolt_path);

// True if `path` starts with a bbolt meta page (an etcd backend rather than our LMDB file).
bool IsBboltFile(Env* env, const std::string& path);

// If <data_dir>/member is an etcd 3.4 member's (member/snap/db is a bbolt file), converts it to
// etcdpp's formats: reads etcd's newest usable snap file and its WAL from there, derives the
// member list as etcd would (its v2 store, then the conf changes and published attributes the
// WAL holds up to the backend's consistent index), and imports the backend. The original files
// are kept, renamed to <data_dir>/member.etcd, once the conversion is durable; a conversion a
// crash interrupted is redone or finished on the next start. Refused, with nothing changed:
// a WAL holding entries the backend has not applied (etcd stopped before applying its log;
// restart it with etcd and stop it cleanly, or move the data with a snapshot), a backend
// behind its snapshot, anything damaged. A no-op (OK) for an etcdpp data dir.
// With a dedicated WAL dir (`wal_dir`, --wal-dir) an etcd data dir is refused: the conversion
// renames the member dir whole.
[[nodiscard]] absl::Status AdoptEtcdDataDir(Env* env, const std::string& data_dir,
                                            const std::string& wal_dir = "");

}  // namespace etcdpp::server::etcdfmt
