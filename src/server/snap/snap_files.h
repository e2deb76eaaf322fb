#pragma once
// SnapFiles: the raft snapshot files of a member, member/snap/<term>-<index>.snap (16 hex
// digits each, as etcd names them). A file is the CRC-32C of its payload (4 bytes, big-endian)
// followed by the payload, an internalpb.SnapshotFile (metadata and data). Files are written to
// a temp name, fsynced and renamed, so a crash leaves a whole file or none.
//
// Loading never repairs: a file that is short, fails its CRC or does not decode is an error
// naming the file (the caller falls back to an older one or refuses to start).

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/env.h"
#include "raft/types.h"

namespace etcdpp::server {

class SnapFiles {
 public:
  // `env` is not owned; `dir` is member/snap (it also holds the backend's db file).
  SnapFiles(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  static std::string FileName(uint64_t term, uint64_t index);

  // Writes the snapshot file durably.
  [[nodiscard]] absl::Status Save(const raft::Snapshot& snap);
  // Names of the .snap files, newest (highest term, then index) first.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> List() const;
  // Loads one file by name; DataLoss naming the file when it is damaged.
  [[nodiscard]] absl::StatusOr<raft::Snapshot> Load(const std::string& name) const;
  // Deletes the oldest .snap files so that at most `max_files` remain (0: keep all), and
  // leftover temp files of Save.
  [[nodiscard]] absl::Status Purge(size_t max_files);
  // At start-up, before anything writes here: deletes what an interrupted run left half
  // written (temp files of Save, and received databases "<index>.snap.db.tmp").
  [[nodiscard]] absl::Status RemoveTempFiles();

  std::string PathOf(const std::string& name) const { return JoinPath(dir_, name); }

 private:
  Env* const env_;
  const std::string dir_;
};

// The payload encoding, shared with the snapshot transfer.
std::string EncodeSnapshotFile(const raft::Snapshot& snap);
[[nodiscard]] absl::StatusOr<raft::Snapshot> DecodeSnapshotFile(const std::string& bytes);

// A database received with a snapshot: member/snap/<16 hex digits of index>.snap.db.
std::string SnapDbPath(const std::string& snap_dir, uint64_t index);

}  // namespace etcdpp::server
