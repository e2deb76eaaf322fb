#pragma once
// Executes KV requests against the mvcc store with etcd's semantics (etcd's applierV3backend):
// Range filtering/sorting/limits, Put with prev_kv / ignore_value / ignore_lease, DeleteRange,
// Txn with compares and nested txns on one revision, Compaction. Writes run on the applier
// thread only; Range and read-only Txn may run on any thread.

#include <functional>

#include "absl/status/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "lease/lessor.h"
#include "mvcc/kvstore.h"

namespace etcdpp::server {

// Validation done before a request enters Raft (etcd's v3rpc key.go checks).
[[nodiscard]] absl::Status CheckRangeRequest(const etcdserverpb::RangeRequest& r);
[[nodiscard]] absl::Status CheckPutRequest(const etcdserverpb::PutRequest& r);
[[nodiscard]] absl::Status CheckDeleteRequest(const etcdserverpb::DeleteRangeRequest& r);
[[nodiscard]] absl::Status CheckTxnRequest(const etcdserverpb::TxnRequest& r, int64_t max_txn_ops);
bool IsTxnReadOnly(const etcdserverpb::TxnRequest& r);
bool IsTxnSerializable(const etcdserverpb::TxnRequest& r);

class KvApplier {
 public:
  // `kv` is not owned and must outlive the applier.
  explicit KvApplier(mvcc::KvStore* kv) : kv_(kv) {}
  // Puts then need an existing lease and keep key attachments in step (null: every lease is
  // unknown). Not owned; set before the applier starts.
  void SetLessor(lease::Lessor* lessor) { lessor_ = lessor; }

  // Reads at the store's current revision (any thread).
  [[nodiscard]] absl::Status Range(const etcdserverpb::RangeRequest& r,
                                   etcdserverpb::RangeResponse* resp) const;
  // A read-only txn (any thread): compares and ranges see one revision.
  [[nodiscard]] absl::Status ReadOnlyTxn(const etcdserverpb::TxnRequest& r,
                                         etcdserverpb::TxnResponse* resp) const;

  // Writes (applier thread). `index` is the Raft index being applied (the consistent index).
  [[nodiscard]] absl::Status Put(const etcdserverpb::PutRequest& r, uint64_t index,
                                 etcdserverpb::PutResponse* resp);
  [[nodiscard]] absl::Status DeleteRange(const etcdserverpb::DeleteRangeRequest& r, uint64_t index,
                                         etcdserverpb::DeleteRangeResponse* resp);
  [[nodiscard]] absl::Status Txn(const etcdserverpb::TxnRequest& r, uint64_t index,
                                 etcdserverpb::TxnResponse* resp);
  // On success *wait_physical blocks until the compacted revisions are gone from the backend.
  [[nodiscard]] absl::Status Compact(const etcdserverpb::CompactionRequest& r, uint64_t index,
                                     etcdserverpb::CompactionResponse* resp,
                                     std::function<void()>* wait_physical);

 private:
  bool LeaseExists(int64_t id) const { return lessor_ != nullptr && lessor_->Exists(id); }
  void SyncLeases(const mvcc::TxnWrite& txn) const;

  mvcc::KvStore* const kv_;
  lease::Lessor* lessor_ = nullptr;
};

}  // namespace etcdpp::server
