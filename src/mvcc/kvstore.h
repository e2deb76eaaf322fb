#pragma once
// KvStore: the revisioned key-value store (etcd's mvcc store) over the backend's `key` bucket.
//
// Revisions: the empty store is at revision 1. Each write txn that changes something gets main
// revision current+1; its changes get sub revisions 0, 1, 2...; create_revision, mod_revision
// and version per key as etcd. A deletion writes a tombstone (the revision key plus 't', the
// value a KeyValue holding only the key) and starts a new generation (see key_index.h).
//
// Concurrency: one writer (TxnWrite; Compact) at a time, in practice the applier thread; reads
// from any thread. A txn's index entries and values are in place before it publishes its
// revision (one atomic store), and readers only look at revisions <= the published one, so a
// reader sees all of a txn or none of it. Readers never block on the backend's commits.
//
// Persistence: the key bucket is the truth; the index is rebuilt from it by Open. The current
// revision is the highest stored revision (or the compact revision if higher); the compact
// revisions live in `meta` (scheduledCompactRev / finishedCompactRev) and the consistent index
// as `consistent_index`, written in the same backend batch as the data they cover.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backend/backend.h"
#include "mvcc/compaction.h"
#include "mvcc/index.h"
#include "mvccpb/kv.pb.h"

namespace etcdpp::mvcc {

struct RangeOptions {
  int64_t limit = 0;  // 0: no limit
  int64_t rev = 0;    // 0: current
  bool count_only = false;
};

struct RangeResult {
  std::vector<mvccpb::KeyValue> kvs;  // sorted by key, at most `limit`
  int64_t rev = 0;                    // the store's current revision when read
  int64_t count = 0;                  // keys in range at the read revision, regardless of limit
};

struct HashResult {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t compact_revision = 0;
};

// Errors carry etcd's exact text (the server maps them to gRPC codes) and an id (recognised by
// the id only: common/error_id.h).
inline constexpr char kCompactedId[] = "mvcc:compacted";
inline constexpr char kFutureRevId[] = "mvcc:future-rev";
[[nodiscard]] absl::Status
CompactedError();  // OutOfRange "mvcc: required revision has been compacted"
[[nodiscard]] absl::Status
FutureRevError();  // OutOfRange "mvcc: required revision is a future revision"
bool IsCompacted(const absl::Status& s);
bool IsFutureRev(const absl::Status& s);

class TxnWrite;

// Told about every write txn that changed something (the watchable store), on the writer
// thread, after the txn is published, in revision order. Deletions carry create_revision 0.
class TxnObserver {
 public:
  virtual ~TxnObserver() = default;
  virtual void OnTxnEnd(int64_t rev, const std::vector<mvccpb::KeyValue>& changes) = 0;
};

class KvStore {
 public:
  // Rebuilds the key index from the backend and resumes an interrupted compaction. `be` is not
  // owned and must outlive the store. `report` receives what compactions measure.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KvStore>> Open(backend::Backend* be,
                                                                     CompactionReport report = {});
  // Stops the compactor; an unfinished physical compaction resumes at the next Open.
  ~KvStore();
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  // Any thread. end: "" = the single key; "\0" (one zero byte) = all keys >= key; otherwise
  // [key, end). rev 0 = current; rev > current: FutureRevError; rev < compact rev:
  // CompactedError.
  [[nodiscard]] absl::StatusOr<RangeResult> Range(std::string_view key, std::string_view end,
                                                  const RangeOptions& o) const;

  // Starts the write txn (blocks while another TxnWrite or a compaction step holds the backend
  // batch). `consistent_index` (the Raft index being applied) is stored with the txn's batch.
  std::unique_ptr<TxnWrite> Write(uint64_t consistent_index);

  int64_t Rev() const { return current_rev_.load(std::memory_order_acquire); }
  // -1 until the first compaction (as etcd).
  int64_t CompactRev() const { return compact_rev_.load(std::memory_order_acquire); }
  uint64_t ConsistentIndex() const { return consistent_index_.load(std::memory_order_acquire); }
  // Stages `index` as the consistent index if it advances (an applied entry that wrote nothing
  // through a TxnWrite: an empty entry, a conf change, a failed request). Writer thread only;
  // not while it holds a TxnWrite.
  void SetConsistentIndex(uint64_t index);

  // Compacts the key index now (keeps for each key the newest revision <= rev unless it is a
  // tombstone) and schedules the removal of the other revisions <= rev from the backend.
  // rev <= compact rev: CompactedError; rev > current: FutureRevError. The returned function
  // blocks until the removal is committed. Writer thread only; not while it holds a TxnWrite.
  [[nodiscard]] absl::StatusOr<std::function<void()>> Compact(int64_t rev,
                                                              uint64_t consistent_index);

  // etcd's HashKV: CRC-32C (Castagnoli, as etcd) over the bucket name "key" and the key
  // bucket's keys and values with revision <= rev, skipping the revisions <= the compact
  // revision that a compaction at rev would not keep. rev 0 = current.
  [[nodiscard]] absl::StatusOr<HashResult> HashByRev(int64_t rev) const;

  backend::Backend* backend() const { return be_; }
  // The backend's whole database was replaced (a raft snapshot from the leader): rebuilds the
  // key index, revisions and consistent index from it and swaps them in. Writer thread only.
  [[nodiscard]] absl::Status Reload();
  // Set before the first write; not owned (null: nobody is told).
  void SetObserver(TxnObserver* o) { observer_ = o; }
  const Index& IndexForTest() const { return index_; }

  // The live keys that carry a lease, as Open found them (etcd's keyToLease in its mvcc
  // restore): the lessor re-attaches them without another pass over the keys. Handed over
  // once; empty afterwards.
  std::vector<std::pair<std::string, int64_t>> TakeRestoredLeases();

 private:
  friend class TxnWrite;
  KvStore(backend::Backend* be, CompactionReport report);
  [[nodiscard]] absl::Status Restore();
  // A range as of `current` (the store's, or a write txn's view of it).
  [[nodiscard]] absl::StatusOr<RangeResult> RangeAt(std::string_view key, std::string_view end,
                                                    const RangeOptions& o, int64_t current) const;
  [[nodiscard]] absl::Status ReadValues(const std::vector<Revision>& revs, int64_t at_rev,
                                        std::vector<mvccpb::KeyValue>* kvs) const;
  // Stages the consistent index if it advances. Requires the batch held by `tx`.
  void SaveConsistentIndex(backend::BatchTx* tx, uint64_t index);
  std::function<void()> SchedulePhysicalCompaction(int64_t rev, RevisionSet keep);

  // Constant after construction.
  backend::Backend* const be_;
  const std::shared_ptr<const CompactionReport> report_;  // shared with compactor_

  Index index_;  // internally synchronized; mutated by the writer only
  // Published by the writer after a txn's values and index entries are in place.
  std::atomic<int64_t> current_rev_{1};
  // Stored before the index is compacted, so a reader that saw a compacted index sees it too.
  std::atomic<int64_t> compact_rev_{-1};
  std::atomic<uint64_t> consistent_index_{0};

  std::unique_ptr<Compactor> compactor_;  // runs physical compactions, in order
  // Filled by Restore: key -> lease of its newest revision, for live keys with a lease.
  absl::flat_hash_map<std::string, int64_t> restored_leases_;
  TxnObserver* observer_ = nullptr;
};

// The write txn: the one writer; all changes share one main revision. Holds the backend batch
// from Write() until End(), so the txn and its consistent index commit together.
class TxnWrite {
 public:
  ~TxnWrite();  // calls End() if needed
  TxnWrite(const TxnWrite&) = delete;
  TxnWrite& operator=(const TxnWrite&) = delete;

  // Sees this txn's own writes.
  [[nodiscard]] absl::StatusOr<RangeResult> Range(std::string_view key, std::string_view end,
                                                  const RangeOptions& o);
  void Put(std::string_view key, std::string_view value, int64_t lease);
  // Returns the number of keys deleted.
  int64_t DeleteRange(std::string_view key, std::string_view end);
  // The begin revision, or begin+1 once the txn changed something.
  int64_t Rev() const { return changes_.empty() ? begin_rev_ : begin_rev_ + 1; }
  // This txn's changes in order (for watchers): puts as stored; deletions hold the key and
  // mod_revision = the deletion's revision (create_revision 0).
  const std::vector<mvccpb::KeyValue>& Changes() const { return changes_; }
  // The backend batch this txn holds: other modules (the lessor) stage their records here so
  // that they commit with this txn's changes and consistent index.
  backend::BatchTx* batch() { return &tx_; }
  // Publishes atomically: readers see all changes of this txn or none. Idempotent.
  void End();

 private:
  friend class KvStore;
  TxnWrite(KvStore* s, uint64_t consistent_index);
  void Delete(std::string_view key);

  KvStore* const s_;
  backend::BatchTx tx_;
  const uint64_t consistent_index_;
  const int64_t begin_rev_;
  std::vector<mvccpb::KeyValue> changes_;
  bool ended_ = false;
};

}  // namespace etcdpp::mvcc
