#pragma once
// The applier: the one thread that writes mvcc, lease and membership state. It applies
// committed entries in log order, skips entries the backend already holds (index <= the
// consistent index, on restart or after a snapshot install), wakes the request waiting for each
// entry, and publishes the applied index that linearizable reads wait for.
//
// Invariant: once an entry of any kind is applied (a KV or lease request, a failed request, an
// empty leader entry, a conf change, a member-attributes publish), the consistent index staged
// in the backend is at least its index, in the same backend batch as its effects. So a backend
// commit taken after entry i was applied proves the backend holds everything up to i, and a raft
// snapshot at the applied index never outruns the backend (etcd persists the consistent index
// for every applied entry the same way).

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/loop_thread.h"
#include "common/mutex.h"
#include "google/protobuf/message.h"
#include "internalpb/internal.pb.h"
#include "mvcc/kvstore.h"
#include "raft/types.h"
#include "server/apply/applier_v3.h"

namespace etcdpp::server {

class Applier {
 public:
  using Waiter = std::function<void(ApplyResult)>;

  // Neither pointer is owned; both must outlive the applier. Requests go down `chain`
  // (applier_v3.h); `store` records the consistent index of entries that write nothing else.
  Applier(ApplierV3* chain, mvcc::KvStore* store);
  ~Applier();

  // Runs on the applier thread for each applied empty normal entry (a new leader's first
  // entry of its term: etcd promotes the lessor there). Before Start.
  void SetOnEmptyEntry(std::function<void(const raft::Entry&)> fn) {
    on_empty_entry_ = std::move(fn);
  }

  // Runs on the applier thread after each applied batch with the applied index (the raft
  // snapshotter). Before Start.
  void SetAfterBatch(std::function<void(uint64_t applied)> fn) { after_batch_ = std::move(fn); }

  void Start();
  void Stop();  // joins; pending waiters fail with "etcdserver: server stopped"

  // Committed conf change entries go to `fn` (on the applier thread, in log order with the
  // other entries; raft's own configuration was changed by the node thread already).
  // `in_backend`: the entry is at or below the consistent index, so its effect on the member
  // buckets is already stored (a replay after a restart or a snapshot install): only waiters and
  // in-memory views should react. Call before Start.
  using ConfChangeHook =
      std::function<void(const raft::Entry&, const raft::ConfChange&, bool in_backend)>;
  void SetConfChangeHook(ConfChangeHook fn) { conf_change_hook_ = std::move(fn); }

  // Registers the waiter for request `id` before it is proposed. Any thread.
  void Register(uint64_t id, Waiter w);
  // Fails the waiter for `id` (its proposal was dropped) if it is still registered.
  void Fail(uint64_t id, absl::Status st);
  // Fails the waiter for `id` with make() if it is still registered; true if it was.
  bool FailWith(uint64_t id, const std::function<absl::Status()>& make);
  // Queues committed entries (called by the Raft node thread).
  void Enqueue(std::vector<raft::Entry> entries);
  // Queues `task` to run on the applier thread in order with the entries (installing a raft
  // snapshot received from the leader).
  void EnqueueTask(std::function<void()> task);
  // From a task: the state was replaced by a snapshot at `applied` whose backend holds
  // entries up to `consistent_index` (later entries at or below it are skipped).
  void ResetTo(uint64_t applied, uint64_t consistent_index);
  // From a task: the member's state can no longer be trusted (a snapshot install failed half
  // way). Nothing queued or enqueued later is applied; the member must stop.
  void Halt(absl::Status why);
  // The reason passed to Halt, or OK.
  [[nodiscard]] absl::Status halted() const;

  uint64_t applied_index() const { return applied_.load(std::memory_order_acquire); }
  // Blocks until applied_index() >= index (true), or the applier stops or is halted (false: the
  // index will never be reached, so a waiting read must not hang a shutdown).
  bool WaitApplied(uint64_t index);
  // Registers a callback run (on the applier thread) once applied_index() >= index.
  void NotifyApplied(uint64_t index, std::function<void()> fn);

 private:
  void Loop();  // the applier thread
  void ApplyEntry(const raft::Entry& e);
  void WarnIfSlow(absl::Duration took, uint64_t index);
  void ApplyConfChange(const raft::Entry& e, bool in_backend);
  ApplyResult Execute(const std::string& data, uint64_t index, uint64_t* id);
  void Wake(uint64_t id, ApplyResult r);
  void RunAppliedNotifications();

  // Constant after construction.
  ApplierV3* const chain_;
  mvcc::KvStore* const store_;
  std::function<void(const raft::Entry&)> on_empty_entry_;  // set before Start
  ConfChangeHook conf_change_hook_;                         // set before Start
  std::function<void(uint64_t)> after_batch_;               // set before Start

  // Runs Loop(), the applier thread; its mu() guards what follows, and its condition also wakes
  // WaitApplied callers.
  LoopThread loop_;
  struct Item {
    std::vector<raft::Entry> entries;
    std::function<void()> task;  // set: run instead of applying entries
  };
  std::deque<Item> queue_ ABSL_GUARDED_BY(loop_.mu());
  absl::flat_hash_map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(loop_.mu());
  std::multimap<uint64_t, std::function<void()>> applied_notifications_ ABSL_GUARDED_BY(loop_.mu());
  absl::Status halted_ ABSL_GUARDED_BY(loop_.mu());  // set by Halt: apply nothing more

  std::atomic<uint64_t> applied_{0};
  uint64_t consistent_index_;  // applier thread only: entries at or below are in the backend
};

}  // namespace etcdpp::server
