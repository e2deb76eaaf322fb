#pragma once
// Exports a read snapshot of our LMDB backend as etcd 3.4's backend: a bbolt file (see
// backend/bbolt/format.h) with etcd's buckets, keys and value encodings. This is what
// Maintenance.Snapshot streams and `etcdctl snapshot restore` turns into an etcd data dir.
//
// etcd 3.4's schema, bucket by bucket (sorted by name, as bbolt stores them):
//
//   alarm            marshalled etcdserverpb.AlarmMember -> empty          copied as we store it
//   auth             "authRevision" -> u64 big-endian; "authEnabled" -> 1 byte (only once auth
//                    was enabled or disabled)                              copied (src/auth
//   authRoles        role name -> marshalled authpb.Role                  keeps etcd's encodings),
//   authUsers        user name -> marshalled authpb.User                  authRevision 1 if absent
//   cluster          "clusterVersion" -> "3.4.0"
//   key              17-byte revision (8-byte big-endian main, '_', 8-byte big-endian sub), plus
//                    't' for a tombstone -> marshalled mvccpb.KeyValue    copied (same encoding)
//   lease            8-byte big-endian lease id -> marshalled leasepb.Lease copied (same encoding)
//   members          member id in hex -> JSON {"id":N,"peerURLs":[..],"isLearner":true?,
//                    "name":"..","clientURLs":[..]} (Go's encoding/json of membership.Member)
//                                                                          converted from ours
//   members_removed  member id in hex -> "removed"                        copied
//   meta             "consistent_index" -> u64 big-endian, "finishedCompactRev" and
//                    "scheduledCompactRev" -> 17-byte revision             the keys etcd 3.4
//                    knows are copied; others (our "term") are left out
//
// The whole export reads one backend::ReadSnapshot (one LMDB read transaction), twice: the
// bbolt writer plans the layout in a first pass (see bbolt/writer.h).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backend/backend.h"
#include "backend/bbolt/sink.h"
#include "backend/bbolt/writer.h"

namespace etcdpp::server::etcdfmt {

// A hook for etcd's auth buckets, for an auth store whose backend encodings differ from etcd's
// (src/auth's do not: it needs none). Export is called for kAuth, kAuthRoles and kAuthUsers in
// that order and must put etcd's keys and encodings in key order.
class AuthExporter {
 public:
  virtual ~AuthExporter() = default;
  [[nodiscard]] virtual absl::Status Export(
      const backend::ReadSnapshot& snap, backend::Bucket bucket,
      absl::FunctionRef<absl::Status(std::string_view key, std::string_view value)> put) = 0;
};

struct ExportOptions {
  // Null: the auth buckets copied as src/auth writes them, with etcd's authRevision 1 added when
  // absent (etcd writes it when it creates its store; ours does at the first auth change).
  AuthExporter* auth = nullptr;
  // Called once, after the planning pass, with the size of the bbolt file.
  std::function<void(uint64_t)> on_size;
};

inline constexpr std::string_view kClusterVersion = "3.4.0";

// Writes the bbolt file to `sink`.
[[nodiscard]] absl::StatusOr<backend::bbolt::WriteResult> ExportEtcdBackend(
    const backend::ReadSnapshot& snap, backend::bbolt::Sink* sink,
    const ExportOptions& options = {});

// A member record of our members bucket as etcd's JSON (exposed for tests).
[[nodiscard]] absl::StatusOr<std::string> MemberToEtcdJson(std::string_view record);

}  // namespace etcdpp::server::etcdfmt
