#include "mvcc/txn.h"

#include <string>
#include <utility>

#include "backend/schema.h"

namespace etcdpp::mvcc {

TxnWrite::TxnWrite(KvStore* s, uint64_t consistent_index)
    : s_(s), tx_(s->be_), consistent_index_(consistent_index), begin_rev_(s->Rev()) {}

TxnWrite::~TxnWrite() { End(); }

absl::StatusOr<RangeResult> TxnWrite::Range(std::string_view key, std::string_view end,
                                            const RangeOptions& o) {
  return s_->RangeAt(key, end, o, Rev());
}

void TxnWrite::Put(std::string_view key, std::string_view value, int64_t lease) {
  const int64_t rev = begin_rev_ + 1;
  const Revision idx{rev, static_cast<int64_t>(changes_.size())};
  mvccpb::KeyValue kv;
  kv.set_key(key.data(), key.size());
  kv.set_value(value.data(), value.size());
  kv.set_mod_revision(rev);
  kv.set_lease(lease);
  if (auto prev = s_->index_.Get(key, rev)) {  // sees this txn's earlier changes
    kv.set_create_revision(prev->created.main);
    kv.set_version(prev->version + 1);
  } else {
    kv.set_create_revision(rev);
    kv.set_version(1);
  }
  std::string bytes;
  kv.SerializeToString(&bytes);
  tx_.Put(backend::Bucket::kKey, RevBytes(idx), std::move(bytes));
  s_->index_.Put(key, idx);
  changes_.push_back(std::move(kv));
}

int64_t TxnWrite::DeleteRange(std::string_view key, std::string_view end) {
  std::vector<Index::KeyRev> live = s_->index_.Range(key, end, Rev());
  for (const Index::KeyRev& kr : live) Delete(kr.key);
  return static_cast<int64_t>(live.size());
}

void TxnWrite::Delete(std::string_view key) {
  const int64_t rev = begin_rev_ + 1;
  const Revision idx{rev, static_cast<int64_t>(changes_.size())};
  mvccpb::KeyValue kv;
  kv.set_key(key.data(), key.size());
  std::string bytes;
  kv.SerializeToString(&bytes);  // the stored tombstone holds only the key (as etcd)
  tx_.Put(backend::Bucket::kKey, RevBytes(idx, /*tombstone=*/true), std::move(bytes));
  s_->index_.Tombstone(key, idx);
  kv.set_mod_revision(rev);
  changes_.push_back(std::move(kv));
}

// The analysis tracks a scoped lock only as a local; tx_ is a member BatchTx, locked by the
// constructor and released here.
void TxnWrite::End() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (ended_) return;
  ended_ = true;
  s_->SaveConsistentIndex(&tx_, consistent_index_);
  // Every value and index entry of this txn is in place: publish its revision.
  if (!changes_.empty()) s_->current_rev_.store(begin_rev_ + 1, std::memory_order_release);
  tx_.End();
  if (!changes_.empty() && s_->observer_ != nullptr) {
    s_->observer_->OnTxnEnd(begin_rev_ + 1, changes_);
  }
}

}  // namespace etcdpp::mvcc
