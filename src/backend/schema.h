#pragma once
// The backend schema: the LMDB named databases ("buckets", as etcd calls bbolt's) and the
// well-known keys of the `meta` bucket. src/backend owns this list; other modules name buckets
// through the enum only.
//
// key      8-byte main revision, '_', 8-byte sub revision (big-endian), plus a trailing 't'
//          for tombstones  ->  serialized mvccpb.KeyValue (tombstones hold only the key)
// meta     consistent_index (8-byte big-endian uint64), scheduledCompactRev and
//          finishedCompactRev (17-byte revision keys as above), term, ...
// lease, auth, authUsers, authRoles, members, members_removed, alarm, cluster: owned by the
//          modules of those names.

#include <array>
#include <cstddef>
#include <string_view>

namespace etcdpp::backend {

enum class Bucket : int {
  kKey = 0,
  kMeta,
  kLease,
  kAuth,
  kAuthUsers,
  kAuthRoles,
  kMembers,
  kMembersRemoved,
  kAlarm,
  kCluster,
};
inline constexpr size_t kNumBuckets = 10;

// LMDB database names, indexed by Bucket.
inline constexpr std::array<const char*, kNumBuckets> kBucketNames = {
    "key",       "meta",    "lease",           "auth",  "authUsers",
    "authRoles", "members", "members_removed", "alarm", "cluster",
};

inline constexpr size_t BucketIndex(Bucket b) { return static_cast<size_t>(b); }
inline constexpr std::string_view BucketName(Bucket b) { return kBucketNames[BucketIndex(b)]; }

// Keys of the meta bucket (etcd's names).
inline constexpr std::string_view kConsistentIndexKey = "consistent_index";
inline constexpr std::string_view kTermKey = "term";
inline constexpr std::string_view kScheduledCompactKey = "scheduledCompactRev";
inline constexpr std::string_view kFinishedCompactKey = "finishedCompactRev";
// etcdpp's own: the v2 store (--enable-v2) as src/server/v2store/snapshot_codec.h encodes it.
// Not etcd's (its v2 store lives in its .snap files): exports and Hash leave it out.
inline constexpr std::string_view kV2StoreKey = "etcdpp_v2store";

}  // namespace etcdpp::backend
