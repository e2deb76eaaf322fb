#pragma once
// Reads an etcd 3.4 member's raft state: its WAL (member/wal) and its snapshot files
// (member/snap/*.snap), as etcd's wal and snap packages write them. Used to adopt an etcd data
// dir (etcd_adopt.h). Input is untrusted: every error names the file and the byte offset.
//
// WAL: segment files "%016x-%016x.wal" (sequence, first raft index), 64 MiB preallocated with
// zeroes. Records are framed as ours are (wal/record.h): an 8-byte little-endian length field
// whose low 56 bits give the record's size n and whose top byte is 0x80 | padding when the
// record is padded to 8 bytes; a zero length field ends the segment's records. The record is a
// marshalled walpb.Record {int64 type = 1; uint32 crc = 2; bytes data = 3}; types: 1 metadata
// (etcdserverpb.Metadata {uint64 NodeID = 1; uint64 ClusterID = 2}), 2 entry (raftpb.Entry
// {Type = 1; Term = 2; Index = 3; Data = 4}), 3 state (raftpb.HardState {term = 1; vote = 2;
// commit = 3}), 4 crc, 5 snapshot (walpb.Snapshot {index = 1; term = 2}). crc is the CRC-32C of
// data chained through the log (crc32.Update(previous, Castagnoli, data)); a crc record carries
// the running value into the next segment.
//
// Snap files "%016x-%016x.snap" (term, index): a marshalled snappb.Snapshot {uint32 crc = 1;
// bytes data = 2} with crc = CRC-32C of data, and data a raftpb.Snapshot {bytes data = 1;
// SnapshotMetadata metadata = 2 {ConfState conf_state = 1 {voters = 1; learners = 2; ...};
// index = 2; term = 3}}. etcd 3.4 puts its v2 store (JSON) in the snapshot's data.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/env.h"
#include "raft/types.h"

namespace etcdpp::server::etcdfmt {

// etcd's raftpb.ConfChange (EntryConfChange's data).
struct EtcdConfChange {
  uint64_t id = 0;
  int type = 0;  // 0 AddNode, 1 RemoveNode, 2 UpdateNode, 3 AddLearnerNode
  uint64_t node_id = 0;
  std::string context;  // JSON of membership.Member for adds and updates
};

// What a WAL holds from the snapshot it was read at (etcd's wal.ReadAll).
struct EtcdWal {
  uint64_t node_id = 0;  // the metadata record
  uint64_t cluster_id = 0;
  raft::HardState state;
  // Entries after the snapshot, data in etcd's encoding; Entry::type is etcd's (0 normal,
  // 1 conf change, 2 conf change v2) cast to raft::EntryType.
  std::vector<raft::Entry> entries;
  // A torn final record (a write cut short before its sync, never acknowledged) was dropped
  // there: "<file> at offset N". Empty when none.
  std::string torn_tail;
};

// Reads the WAL in `dir` from the snapshot (index, term): NotFound if no segment starts at or
// below it, or if no snapshot record matches it (index 0 matches the start of the WAL);
// DataLoss naming the file and offset for anything damaged.
[[nodiscard]] absl::StatusOr<EtcdWal> ReadEtcdWal(Env* env, const std::string& dir,
                                                  uint64_t snap_index, uint64_t snap_term);

// The .snap files in `dir`, newest (highest term, then index) first.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListEtcdSnaps(Env* env,
                                                                     const std::string& dir);
// Loads one snap file (its path): DataLoss naming it when damaged.
[[nodiscard]] absl::StatusOr<raft::Snapshot> LoadEtcdSnap(Env* env, const std::string& path);

// Decoders of etcd's payloads (exposed for tests); errors are InvalidArgument saying what.
[[nodiscard]] absl::StatusOr<raft::Entry> DecodeEtcdEntry(std::string_view data);
[[nodiscard]] absl::StatusOr<raft::HardState> DecodeEtcdHardState(std::string_view data);
[[nodiscard]] absl::StatusOr<EtcdConfChange> DecodeEtcdConfChange(std::string_view data);
[[nodiscard]] absl::StatusOr<raft::Snapshot> DecodeEtcdRaftSnapshot(std::string_view data);
// The v2 request an etcd 3.4 normal entry carries (InternalRaftRequest.v2, or a bare
// etcdserverpb.Request): method, path and value; nullopt for any other request.
struct EtcdV2Request {
  std::string method;
  std::string path;
  std::string val;
};
[[nodiscard]] std::optional<EtcdV2Request> DecodeEtcdV2Request(std::string_view data);

// Encoders, so that tests can write etcd-format files.
std::string EncodeEtcdWalRecord(int64_t type, uint32_t crc, std::string_view data);
std::string EncodeEtcdEntry(const raft::Entry& e);
std::string EncodeEtcdHardState(const raft::HardState& s);
std::string EncodeEtcdWalSnapshot(uint64_t index, uint64_t term);
std::string EncodeEtcdMetadata(uint64_t node_id, uint64_t cluster_id);
std::string EncodeEtcdConfChange(const EtcdConfChange& cc);
std::string EncodeEtcdSnapFile(const raft::Snapshot& snap);

}  // namespace etcdpp::server::etcdfmt
