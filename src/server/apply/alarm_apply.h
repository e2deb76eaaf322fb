#pragma once
// Alarms (etcd's v3alarm and the capped / corrupt appliers).
//
// AlarmStore: the raised alarms, one per (member, type), persisted in the `alarm` bucket as
// etcd keeps them (key: the encoded AlarmMember, empty value), so they survive restarts and
// travel in snapshots. Changed only by the applier (AlarmRequest entries), so every member holds
// the same set at the same index; read by any thread.
//
// AlarmGateApplier: the wrapper that refuses writes while an alarm is raised, on every member
// alike (it judges by the replicated set): under NOSPACE, Put, a Txn with a put and LeaseGrant
// answer "etcdserver: mvcc: database space exceeded" (deletes, compaction and lease revokes go
// on, so space can be freed); under CORRUPT, every write answers "etcdserver: corrupt cluster".

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvcc/kvstore.h"
#include "server/apply/applier_v3.h"

namespace etcdpp::server {

class AlarmStore {
 public:
  explicit AlarmStore(backend::Backend* be) : be_(be) {}

  // (Re)reads the set from the backend (open, raft snapshot install).
  [[nodiscard]] absl::Status Load();

  // Applier thread, staged in `tx` (the entry's write txn). Activate returns the alarm (the one
  // already raised if it was); Deactivate returns the one it cleared, nullopt if none was raised.
  etcdserverpb::AlarmMember Activate(uint64_t member, etcdserverpb::AlarmType type,
                                     backend::BatchTx* tx);
  std::optional<etcdserverpb::AlarmMember> Deactivate(uint64_t member, etcdserverpb::AlarmType type,
                                                      backend::BatchTx* tx);

  // Any thread. The raised alarms of `type` (NONE: all), ordered by member then type.
  std::vector<etcdserverpb::AlarmMember> Get(etcdserverpb::AlarmType type) const;
  // Whether any alarm of `type` is raised; a lock-free read for the request paths.
  bool Raised(etcdserverpb::AlarmType type) const;

  // etcd's AlarmMember.String() ("memberID:N alarm:NOSPACE "), as Status.errors lists them.
  static std::string Describe(const etcdserverpb::AlarmMember& m);

 private:
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  backend::Backend* const be_;
  mutable Mutex mu_;
  std::vector<etcdserverpb::AlarmMember> alarms_ ABSL_GUARDED_BY(mu_);  // sorted
  std::atomic<uint32_t> raised_mask_{0};  // bit t: some alarm of type t is raised
};

// Applies AlarmRequest entries (GET, ACTIVATE, DEACTIVATE) to the store, with etcd's log lines
// ("alarm raised", "alarm disarmed").
class AlarmApplier {
 public:
  // Neither owned.
  AlarmApplier(mvcc::KvStore* kv, AlarmStore* store) : kv_(kv), store_(store) {}
  ApplyResult Apply(const etcdserverpb::AlarmRequest& r, uint64_t index);

 private:
  mvcc::KvStore* const kv_;
  AlarmStore* const store_;
};

class AlarmGateApplier final : public ApplierV3Wrapper {
 public:
  AlarmGateApplier(ApplierV3* next, const AlarmStore* alarms)
      : ApplierV3Wrapper(next), alarms_(alarms) {}

  absl::Status Put(const etcdserverpb::PutRequest& r, uint64_t index,
                   etcdserverpb::PutResponse* resp) override;
  absl::Status DeleteRange(const etcdserverpb::DeleteRangeRequest& r, uint64_t index,
                           etcdserverpb::DeleteRangeResponse* resp) override;
  absl::Status Txn(const etcdserverpb::TxnRequest& r, uint64_t index,
                   etcdserverpb::TxnResponse* resp) override;
  absl::Status Compaction(const etcdserverpb::CompactionRequest& r, uint64_t index,
                          etcdserverpb::CompactionResponse* resp,
                          std::function<void()>* wait_physical) override;
  absl::Status LeaseGrant(const etcdserverpb::LeaseGrantRequest& r, uint64_t index,
                          etcdserverpb::LeaseGrantResponse* resp) override;
  absl::Status LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r, uint64_t index,
                           etcdserverpb::LeaseRevokeResponse* resp) override;

 private:
  bool corrupt() const { return alarms_->Raised(etcdserverpb::CORRUPT); }
  bool nospace() const { return alarms_->Raised(etcdserverpb::NOSPACE); }

  const AlarmStore* const alarms_;
};

// etcd's quota cost of a request: 256 + key + value for a put, the larger branch's puts for a
// txn (nested txns count too), 64 for a lease grant, 0 for anything else.
int64_t QuotaCost(const internalpb::InternalRequest& req);
// Whether a txn (or a nested one) puts anything: its cost is not 0.
bool TxnHasPut(const etcdserverpb::TxnRequest& r);

}  // namespace etcdpp::server
