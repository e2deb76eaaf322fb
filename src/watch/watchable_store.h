#pragma once
// WatchableStore: delivers the store's changes to watchers (etcd's watchableStore).
//
// Watchers live in one of three places, all guarded by the sync loop's mutex (loop_.mu()):
//   synced    caught up: every write txn's events go to them as it ends (OnTxnEnd);
//   unsynced  behind the store (a start revision in the past, or a victim that recovered):
//             the sync thread reads their history from the backend in batches of at most
//             EventBatch::kMaxBatchRevs revisions and moves them to synced once caught up;
//   victims   a send failed because the stream's buffer was full: the watcher leaves synced
//             and keeps its one undelivered batch, retried every victim interval; once sent it
//             goes to unsynced (or synced if nothing happened meanwhile).
// So a slow client never blocks the writer or other watchers, and what it holds is bounded: its
// stream's buffer plus one batch per victim watcher.
//
// No gap, no duplicate: rev_ is the revision of the last txn handed to the synced group (under
// that mutex). The sync thread reads history without the lock up to the rev_ it saw, then, under
// the lock, delivers what it read and moves a watcher to synced only if no txn ended meanwhile
// (min_rev > rev_); otherwise the watcher stays unsynced and the next round reads on.
//
// Compaction: an unsynced watcher whose min_rev is below the compact revision receives
// compact_revision (header revision 0, as etcd) and leaves every group.

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "mvcc/kvstore.h"
#include "watch/watch_stream.h"
#include "watch/watcher.h"
#include "watch/watcher_group.h"

namespace etcdpp::watch {

struct StoreOptions {
  absl::Duration sync_interval = absl::Milliseconds(100);
  absl::Duration victim_interval = absl::Milliseconds(10);
  absl::Duration progress_interval = absl::Minutes(10);  // periodic progress notifications
  size_t max_watchers_per_sync = 512;
  // Tests: no sync thread; SyncForTest / RetryVictimsForTest drive every round.
  bool manual_sync = false;
};

class WatchableStore : public mvcc::TxnObserver {
 public:
  // `kv` is not owned and must outlive the store; the store registers as its observer and
  // starts the sync thread.
  explicit WatchableStore(mvcc::KvStore* kv, StoreOptions o = {});
  // Stops the sync thread. Every stream must be closed first.
  ~WatchableStore() override;
  WatchableStore(const WatchableStore&) = delete;
  WatchableStore& operator=(const WatchableStore&) = delete;

  // The writer thread, after each write txn that changed something, in revision order.
  void OnTxnEnd(int64_t rev, const std::vector<mvccpb::KeyValue>& changes) override;

  const mvcc::KvStore& kv() const { return *kv_; }

  // The store was rebuilt from another backend (a raft snapshot; writer thread, after
  // KvStore::Reload): every synced watcher becomes unsynced from the next revision it has not
  // received, so the sync thread delivers what the new store holds past it from its history
  // (or a compaction notice), with no gap and no duplicate. (watch/resync.cc)
  void Resync();

  // For WatchStream. start_rev > 0: the first revision to deliver.
  void Add(Watcher* w, int64_t start_rev);
  // Takes w out of every group; it receives nothing afterwards.
  void Cancel(Watcher* w);
  // etcd 3.5's progress request (RequestProgressAll): one answer for the stream, watch id -1,
  // at the revision the synced watchers have reached, queued in order with their events, once
  // every watcher of the stream is synced and none starts past that revision. Until then the
  // request waits (one per stream); etcd 3.5 drops it and the client asks again. A stream
  // without watchers gets no answer, as in etcd 3.5.
  void RequestProgress(WatchStream* s);

  struct Counts {
    size_t synced = 0, unsynced = 0, victims = 0;
  };
  Counts GetCounts() const;

  // Kept by the streams (watch_stream.cc), read for etcd's etcd_debugging_mvcc_* watch metrics.
  struct StreamCounters {
    std::atomic<int64_t> streams{0};         // open WatchStreams
    std::atomic<int64_t> pending_events{0};  // queued in a stream, not yet taken by its sender
    std::atomic<int64_t> events{0};          // taken by the senders since start
  };
  StreamCounters& stream_counters() { return stream_counters_; }
  const StreamCounters& stream_counters() const { return stream_counters_; }
  // Runs one sync round / victim retry now (tests).
  void SyncForTest() { SyncWatchers(); }
  void RetryVictimsForTest();

 private:
  struct Chosen {
    Watcher* w;
    uint64_t serial;
  };
  void Loop();  // the sync thread
  // One round over up to max_watchers_per_sync unsynced watchers; true if it made progress
  // and unsynced watchers remain.
  bool SyncWatchers();
  std::vector<Chosen> ChooseLocked(int64_t compact, int64_t* min_rev)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  void DeliverLocked(const std::vector<Chosen>& chosen, const std::vector<EventPtr>& evs,
                     int64_t read_to, int64_t header_rev) ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  void RetryVictimsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  void ProgressTickLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  // True if w is synced and starts at most one past rev_ (or was told it is compacted): a
  // progress answer at rev_ does not overtake anything it is still to receive.
  bool AtRevLocked(const Watcher* w) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  // Answers the stream's progress request if every watcher is AtRevLocked; true if answered
  // (or nothing is left to answer).
  bool TryProgressLocked(WatchStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  // Retries the waiting progress requests (after watchers moved or rev_ advanced).
  void AnswerProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  // Applies w's filters and tries to queue the response; false if the stream is full.
  bool SendLocked(Watcher* w, std::vector<EventPtr> evs, int64_t rev)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  void MakeVictimLocked(Watcher* w, EventBatch batch, int64_t rev)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());
  // Moves a watcher that left unsynced or victims to where its min_rev says.
  void PlaceLocked(Watcher* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_.mu());

  // Constant after construction.
  mvcc::KvStore* const kv_;
  const StoreOptions opts_;

  StreamCounters stream_counters_;
  LoopThread loop_;  // runs Loop() unless manual_sync; its mu() guards what follows
  WatcherGroup synced_ ABSL_GUARDED_BY(loop_.mu());
  WatcherGroup unsynced_ ABSL_GUARDED_BY(loop_.mu());
  absl::flat_hash_set<Watcher*> victims_ ABSL_GUARDED_BY(loop_.mu());
  absl::flat_hash_set<Watcher*> progress_ ABSL_GUARDED_BY(loop_.mu());  // progress_notify watchers
  // Every added watcher, by stream (progress requests are per stream).
  absl::flat_hash_map<WatchStream*, absl::flat_hash_set<Watcher*>> by_stream_
      ABSL_GUARDED_BY(loop_.mu());
  // Streams whose progress request waits for their watchers to sync.
  absl::flat_hash_set<WatchStream*> progress_wanted_ ABSL_GUARDED_BY(loop_.mu());
  int64_t rev_ ABSL_GUARDED_BY(loop_.mu());  // the last revision handed to the synced group
  uint64_t next_serial_ ABSL_GUARDED_BY(loop_.mu()) = 1;
  bool kick_ ABSL_GUARDED_BY(loop_.mu()) = false;
};

}  // namespace etcdpp::watch
