#pragma once
// Lessor: the leases of one member (etcd's lease/lessor.go).
//
// A lease has an ID, a granted TTL (seconds), an optional checkpointed remaining TTL, an expiry
// on this member's clock and the keys attached to it. Every member holds every lease (grants,
// revocations and checkpoints are applied from the Raft log on the applier thread), but only
// the primary lessor - the leader's - has finite expiries: it renews leases (keepalives), finds
// the expired ones and checkpoints remaining TTLs, and the server proposes the matching
// revocations / checkpoints through Raft. Other members keep every lease "forever".
//
// Persistence: each lease is a leasepb.Lease in the backend's `lease` bucket, keyed by its ID
// as 8 big-endian bytes, staged in the batch of the write txn that applies the entry (so it
// commits with the entry's consistent index). Attached keys are not stored: the server
// re-attaches every live key that carries a lease ID after Open.
//
// Timing guarantees (the leader's view):
//  - Grant / Renew on the primary set expiry = now + TTL before the answer leaves the member,
//    so a lease never expires earlier than its TTL after its last acknowledged keepalive.
//  - Promote (on becoming leader) sets expiry = now + extend + remaining, where remaining is
//    the last checkpointed remaining TTL (else the full TTL): a new leader neither resets long
//    leases to their full TTL nor expires any lease before the old leader could have.
//  - With 1000 leases or more, Promote then moves leases that pile up in one second later
//    (etcd's pacing, expiry_spread.h), never earlier.
//  - A renewal of a lease with a checkpointed remaining TTL must first commit a checkpoint that
//    clears it (HasCheckpointedRemaining), or a later leader would use the stale value.
//
// Thread safety: all methods take the lessor's mutex; mutations come from the applier thread,
// queries from any thread, FindExpired / FindDueCheckpoints from the server's lease timer.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backend/backend.h"
#include "common/mutex.h"
#include "lease/lease_queue.h"

namespace etcdpp::lease {

using LeaseId = int64_t;
inline constexpr LeaseId kNoLease = 0;
inline constexpr int64_t kMaxLeaseTtl = 9000000000;  // seconds (etcd's MaxLeaseTTL)

struct Options {
  // Grants shorter than this get it (etcd: ceil(1.5 election timeouts) in seconds).
  int64_t min_ttl = 0;
  // Leases whose remaining TTL exceeds this are checkpointed this often; zero disables
  // checkpoints (etcd's --experimental-enable-lease-checkpoint off).
  absl::Duration checkpoint_interval = absl::Minutes(5);
  // An expired lease whose revocation did not commit is reported again after this.
  absl::Duration expired_retry_interval = absl::Seconds(3);
  // Microseconds on a monotonic clock; null: Env::Default()->NowMicros().
  std::function<int64_t()> now_us;
};

struct LeaseInfo {
  LeaseId id = 0;
  int64_t ttl = 0;                // granted TTL, seconds
  int64_t remaining_us = 0;       // until expiry; INT64_MAX on a non-primary lessor
  std::vector<std::string> keys;  // sorted; filled by Lookup(with_keys)
};

struct CheckpointItem {
  LeaseId id = 0;
  int64_t remaining_ttl = 0;  // seconds
};

class Lessor {
 public:
  // Loads the leases of the `lease` bucket (not primary, no keys attached). `be` is not owned
  // and must outlive the lessor.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Lessor>> Open(backend::Backend* be,
                                                                    Options options);

  // ---- Applying Raft entries (applier thread). `tx` is the batch of the entry's write txn.
  // id 0: LeaseNotFound; ttl > kMaxLeaseTtl: LeaseTtlTooLarge; existing id: LeaseExists.
  [[nodiscard]] absl::StatusOr<LeaseInfo> Grant(LeaseId id, int64_t ttl, backend::BatchTx* tx);
  // Deletes every attached key through `del` (sorted keys, one write txn), then the lease.
  [[nodiscard]] absl::Status Revoke(LeaseId id, backend::BatchTx* tx,
                                    absl::FunctionRef<void(const std::vector<std::string>&)> del);
  // Records a remaining TTL (0 clears it). Unknown IDs are ignored, as etcd.
  void Checkpoint(LeaseId id, int64_t remaining_ttl, backend::BatchTx* tx);
  // Attaches `key` to lease `id` (moving it from its previous lease; id 0 or an unknown lease:
  // only detaches).
  void Attach(LeaseId id, const std::string& key);
  void Detach(const std::string& key);
  LeaseId GetLease(const std::string& key) const;
  bool Exists(LeaseId id) const;

  // The backend's database was replaced (a raft snapshot): forgets every lease and attachment
  // and loads the `lease` bucket again (keys are re-attached by the caller). Applier thread.
  [[nodiscard]] absl::Status Reload();

  // ---- Leadership (applier thread / lease timer).
  void Promote(absl::Duration extend);
  void Demote();
  bool primary() const;

  // ---- Any thread.
  // Renews to the full TTL; returns it. NotPrimary when not the primary; LeaseNotFound when
  // unknown or already expired (its revocation is on its way).
  [[nodiscard]] absl::StatusOr<int64_t> Renew(LeaseId id);
  bool HasCheckpointedRemaining(LeaseId id) const;
  std::optional<LeaseInfo> Lookup(LeaseId id, bool with_keys) const;
  // Every lease ID, soonest expiry first.
  std::vector<LeaseId> Leases() const;

  // ---- The lease timer (primary only; empty otherwise).
  // Up to `limit` expired leases; each is reported again after expired_retry_interval.
  std::vector<LeaseId> FindExpired(size_t limit);
  std::vector<CheckpointItem> FindDueCheckpoints(size_t limit);
  // Microseconds until the earliest queued expiry or checkpoint (0 if due; nullopt if none).
  std::optional<int64_t> NextDeadlineUs() const;

 private:
  struct Lease {
    LeaseId id = 0;
    int64_t ttl = 0;
    int64_t remaining_ttl = 0;  // checkpointed; 0: unset
    int64_t expiry_us = 0;      // kForever when not primary
    int64_t queued_us = 0;      // time of this lease's live entry in expiries_
    absl::btree_set<std::string> keys;
    int64_t RemainingOrFullTtl() const { return remaining_ttl > 0 ? remaining_ttl : ttl; }
  };
  static constexpr int64_t kForever = INT64_MAX;

  Lessor(backend::Backend* be, Options options);
  [[nodiscard]] absl::Status Load();
  int64_t Now() const;
  void Persist(const Lease& l, backend::BatchTx* tx) const;
  void Refresh(Lease* l, int64_t expiry_us) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleCheckpoint(const Lease& l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // etcd's pacing on promotion: see expiry_spread.h.
  void SpreadPiledUpExpiriesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  LeaseInfo Info(const Lease& l, bool with_keys) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  backend::Backend* const be_;
  const Options options_;

  mutable Mutex mu_;
  absl::flat_hash_map<LeaseId, Lease> leases_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, LeaseId> key_lease_ ABSL_GUARDED_BY(mu_);
  bool primary_ ABSL_GUARDED_BY(mu_) = false;
  LeaseQueue expiries_ ABSL_GUARDED_BY(mu_);     // primary only
  LeaseQueue checkpoints_ ABSL_GUARDED_BY(mu_);  // primary only
};

// The bucket key of a lease ID: 8 big-endian bytes.
std::string LeaseKey(LeaseId id);

}  // namespace etcdpp::lease
