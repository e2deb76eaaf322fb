#include "mvcc/kvstore.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backend/schema.h"
#include "common/error_id.h"
#include "common/failpoint.h"
#include "common/status.h"
#include "mvcc/txn.h"

namespace etcdpp::mvcc {
namespace {

constexpr std::string_view kCompactedMsg = "mvcc: required revision has been compacted";
constexpr std::string_view kFutureRevMsg = "mvcc: required revision is a future revision";

std::string EncodeUint64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}

uint64_t DecodeUint64(std::string_view b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < b.size(); ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

// The main revision stored under a meta key, or `missing`.
[[nodiscard]] absl::StatusOr<int64_t> ReadMetaRev(backend::Backend* be, std::string_view key,
                                                  int64_t missing) {
  auto v = be->Get(backend::Bucket::kMeta, key);
  if (absl::IsNotFound(v.status())) return missing;
  if (!v.ok()) return v.status();
  if (v->size() < kRevBytesLen) {
    return absl::DataLossError(absl::StrCat("mvcc: bad meta value for ", std::string(key)));
  }
  return RevFromBytes(*v).main;
}

}  // namespace

[[nodiscard]] absl::Status CompactedError() {
  return WithErrorId(absl::OutOfRangeError(std::string(kCompactedMsg)), kCompactedId);
}
[[nodiscard]] absl::Status FutureRevError() {
  return WithErrorId(absl::OutOfRangeError(std::string(kFutureRevMsg)), kFutureRevId);
}
bool IsCompacted(const absl::Status& s) { return HasErrorId(s, kCompactedId); }
bool IsFutureRev(const absl::Status& s) { return HasErrorId(s, kFutureRevId); }

KvStore::KvStore(backend::Backend* be, CompactionReport report)
    : be_(be), report_(std::make_shared<const CompactionReport>(std::move(report))) {}

KvStore::~KvStore() { compactor_.reset(); }

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(backend::Backend* be,
                                                       CompactionReport report) {
  std::unique_ptr<KvStore> s(new KvStore(be, std::move(report)));
  RETURN_NOT_OK_PREPEND(s->Restore(), "mvcc: cannot restore the store");
  return s;
}

absl::Status KvStore::Restore() {
  auto ci = be_->Get(backend::Bucket::kMeta, backend::kConsistentIndexKey);
  if (ci.ok()) {
    consistent_index_.store(DecodeUint64(*ci));
  } else if (!absl::IsNotFound(ci.status())) {
    return ci.status();
  }
  ASSIGN_OR_RETURN(int64_t finished, ReadMetaRev(be_, backend::kFinishedCompactKey, -1));
  ASSIGN_OR_RETURN(int64_t scheduled, ReadMetaRev(be_, backend::kScheduledCompactKey, 0));
  compact_rev_.store(finished);

  int64_t current = 1;
  absl::Status bad;
  mvccpb::KeyValue kv;
  RETURN_NOT_OK(
      be_->Range(backend::Bucket::kKey, "", "", [&](std::string_view k, std::string_view v) {
        if (k.size() < kRevBytesLen || !kv.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = absl::DataLossError("mvcc: corrupt entry in key bucket");
          return false;
        }
        Revision rev = RevFromBytes(k);
        const bool tombstone = IsTombstoneKey(k);
        index_.RestoreRevision(kv.key(), rev, tombstone, Revision{kv.create_revision(), 0},
                               kv.version());
        // Revision order: the newest revision of a key decides.
        if (!tombstone && kv.lease() != 0) {
          restored_leases_[kv.key()] = kv.lease();
        } else {
          restored_leases_.erase(kv.key());
        }
        current = std::max(current, rev.main);
        return true;
      }));
  RETURN_NOT_OK(bad);
  // The newest revisions may all have been compacted away (deletions at the compact rev).
  current_rev_.store(std::max(current, finished));
  compactor_ = std::make_unique<Compactor>(be_, report_);

  if (scheduled > 0 && scheduled > finished) {  // an interrupted compaction: finish it
    compact_rev_.store(scheduled);
    current_rev_.store(std::max(current_rev_.load(), scheduled));
    SchedulePhysicalCompaction(scheduled, index_.Compact(scheduled));
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, int64_t>> KvStore::TakeRestoredLeases() {
  absl::flat_hash_map<std::string, int64_t> taken;
  taken.swap(restored_leases_);  // frees the table
  return {taken.begin(), taken.end()};
}

absl::StatusOr<RangeResult> KvStore::Range(std::string_view key, std::string_view end,
                                           const RangeOptions& o) const {
  return RangeAt(key, end, o, Rev());
}

absl::StatusOr<RangeResult> KvStore::RangeAt(std::string_view key, std::string_view end,
                                             const RangeOptions& o, int64_t current) const {
  if (o.rev > current) return FutureRevError();
  const int64_t rev = o.rev <= 0 ? current : o.rev;
  if (rev < CompactRev()) return CompactedError();
  RangeResult r;
  r.rev = current;
  if (o.count_only) {
    r.count = index_.CountRevisions(key, end, rev);
  } else {
    std::vector<Revision> revs = index_.Revisions(key, end, rev, o.limit, &r.count);
    RETURN_NOT_OK(ReadValues(revs, rev, &r.kvs));
  }
  // A compaction may have overtaken this read (index compacted, values deleted): its results
  // below the new compact revision are not trustworthy.
  if (rev < CompactRev()) return CompactedError();
  return r;
}

absl::Status KvStore::ReadValues(const std::vector<Revision>& revs, int64_t at_rev,
                                 std::vector<mvccpb::KeyValue>* kvs) const {
  if (revs.empty()) return absl::OkStatus();
  std::vector<std::string> keys;
  keys.reserve(revs.size());
  for (const Revision& r : revs) keys.push_back(RevBytes(r));
  kvs->resize(revs.size());
  size_t found = 0;
  bool parse_error = false;
  RETURN_NOT_OK(be_->GetMany(backend::Bucket::kKey, keys, [&](size_t i, std::string_view v) {
    if (!(*kvs)[i].ParseFromArray(v.data(), static_cast<int>(v.size()))) parse_error = true;
    ++found;
  }));
  if (parse_error) return absl::DataLossError("mvcc: corrupt value in key bucket");
  if (found != revs.size()) {
    if (at_rev < CompactRev()) return CompactedError();
    return absl::InternalError("mvcc: range cannot find a revision the index holds");
  }
  return absl::OkStatus();
}

std::unique_ptr<TxnWrite> KvStore::Write(uint64_t consistent_index) {
  return std::unique_ptr<TxnWrite>(new TxnWrite(this, consistent_index));
}

void KvStore::SetConsistentIndex(uint64_t index) {
  if (index <= consistent_index_.load(std::memory_order_acquire)) return;
  backend::BatchTx tx(be_);
  SaveConsistentIndex(&tx, index);
}

void KvStore::SaveConsistentIndex(backend::BatchTx* tx, uint64_t index) {
  if (index <= consistent_index_.load()) return;
  tx->Put(backend::Bucket::kMeta, backend::kConsistentIndexKey, EncodeUint64(index));
  consistent_index_.store(index, std::memory_order_release);
}

absl::StatusOr<std::function<void()>> KvStore::Compact(int64_t rev, uint64_t consistent_index) {
  RevisionSet keep;
  {
    backend::BatchTx tx(be_);
    SaveConsistentIndex(&tx, consistent_index);  // the entry is applied even when it fails
    if (rev <= CompactRev()) return CompactedError();
    if (rev > Rev()) return FutureRevError();
    compact_rev_.store(rev, std::memory_order_release);  // before the index changes
    tx.Put(backend::Bucket::kMeta, backend::kScheduledCompactKey, RevBytes(Revision{rev, 0}));
    const absl::Time start = absl::Now();
    keep = index_.Compact(rev);
    if (report_->index_pause) report_->index_pause(absl::Now() - start);
  }
  // The scheduled compaction is durable before any revision is removed (as etcd).
  ETCDPP_FAILPOINT_OR_RETURN(compactBeforeCommitScheduledCompact);
  RETURN_NOT_OK(be_->ForceCommit());
  ETCDPP_FAILPOINT_OR_RETURN(compactAfterCommitScheduledCompact);
  return SchedulePhysicalCompaction(rev, std::move(keep));
}

std::function<void()> KvStore::SchedulePhysicalCompaction(int64_t rev, RevisionSet keep) {
  auto job = std::make_shared<CompactionJob>(rev, std::move(keep));
  compactor_->Schedule(job);
  backend::Backend* be = be_;
  return [job, be] {
    job->Wait();
    (void)be->ForceCommit();
  };
}

absl::Status KvStore::Reload() {
  // A second store over the same backend does the rebuild; its results move over at once. Its
  // compactor, which comes over too, reports where this store's did (and shares the report, so
  // it outlives `fresh`).
  ASSIGN_OR_RETURN(std::unique_ptr<KvStore> fresh, Open(be_, *report_));
  index_.Swap(&fresh->index_);
  compactor_.swap(fresh->compactor_);  // the old one stops with `fresh`
  restored_leases_.swap(fresh->restored_leases_);
  consistent_index_.store(fresh->consistent_index_.load());
  compact_rev_.store(fresh->compact_rev_.load());
  current_rev_.store(fresh->current_rev_.load());
  return absl::OkStatus();
}

}  // namespace etcdpp::mvcc
