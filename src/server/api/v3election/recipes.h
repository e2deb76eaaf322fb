#pragma once
// The election and lock recipes as requests (etcd's clientv3/concurrency, which etcd's
// v3election and v3lock services run against the member itself). Pure functions: they build
// the txn and range requests and read their answers; the services (election_service.h,
// lock_service.h) send them through the member and wait. docs/design/election_lock.md.
//
// Keys: a candidate or lock waiter of `name` with lease L owns the key "name/<L in hex>",
// attached to L. The owner is the key of the prefix "name/" with the smallest create revision;
// that revision is the fencing token of the leadership or the lock.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "grpcpp/support/status.h"

namespace etcdpp::server::recipes {

// etcd's session TTL when a request names no lease (concurrency.defaultSessionTTL).
inline constexpr int64_t kDefaultSessionTtl = 60;

// "name/" + the lease in lower-case hex, as Go's %x of an int64 ("-1f" when negative).
std::string OwnKey(const std::string& prefix, int64_t lease);
// The end of the range of every key starting with `prefix` (clientv3.GetPrefixRangeEnd).
std::string PrefixEnd(const std::string& prefix);

// Campaign: put `value` at `key` with `lease` unless the key exists; else read it.
etcdserverpb::TxnRequest CampaignTxn(const std::string& key, const std::string& value,
                                     int64_t lease);
// Proclaim: put `value` at `key` with `lease` if the key's create revision is still `rev`.
etcdserverpb::TxnRequest ProclaimTxn(const std::string& key, int64_t rev, const std::string& value,
                                     int64_t lease);
// Resign: delete `key` if its create revision is still `rev`.
etcdserverpb::TxnRequest ResignTxn(const std::string& key, int64_t rev);
// Lock: put "" at `key` with `lease` unless it exists (else read it), and read the owner of
// `prefix` in the same txn.
etcdserverpb::TxnRequest LockTxn(const std::string& key, const std::string& prefix, int64_t lease);
// The key of `prefix` created first (the leader or lock owner).
etcdserverpb::RangeRequest FirstCreated(const std::string& prefix);
// The key of `prefix` created last at or below `max_create_rev` (the next one to wait for).
etcdserverpb::RangeRequest LastCreatedUpTo(const std::string& prefix, int64_t max_create_rev);

// The create revision of the key a Campaign or Lock txn made or found: the txn's revision
// when it created the key, else the create revision it read (first range of the else branch).
// InternalError when the answer has not the recipe's shape.
[[nodiscard]] absl::Status OwnRevision(const etcdserverpb::TxnResponse& r, int64_t* rev);
// The value a Campaign txn found at the key when it did not create it ("" otherwise).
std::string FoundValue(const etcdserverpb::TxnResponse& r);
// After a Lock txn of a key created at `own_rev`: true if it holds the lock already (no other
// key of the prefix was created before it).
bool LockHeld(const etcdserverpb::TxnResponse& r, int64_t own_rev);

// etcd's errors of the recipes (concurrency and v3election), answered as gRPC UNKNOWN with
// these exact messages.
[[nodiscard]] absl::Status ErrNotLeader();         // "election: not leader"
[[nodiscard]] absl::Status ErrNoLeader();          // "election: no leader"
[[nodiscard]] absl::Status ErrMissingLeaderKey();  // "\"leader\" field must be provided"

// What a client of etcd's election and lock services sees for an error: etcd's services get
// the member's errors through an in-process client and return them as plain Go errors, which
// gRPC answers as UNKNOWN with the message; only a cancelled call keeps CANCELLED.
grpc::Status ToRecipeGrpcStatus(const absl::Status& st);

}  // namespace etcdpp::server::recipes
