#pragma once
// The applier: the one thread that writes mvcc (and, later, lease / auth / membership) state.
// It applies committed entries in log order, skips entries the backend already holds (index
// <= the consistent index, on restart), wakes the request waiting for each entry, and
// publishes the applied index that linearizable reads wait for.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "google/protobuf/message.h"
#include "internalpb/internal.pb.h"
#include "raft/types.h"
#include "server/kv_apply.h"
#include "server/lease_apply.h"

namespace etcdpp::internalpb {
class MemberAttributes;
}  // namespace etcdpp::internalpb

namespace etcdpp::server {

// What a waiter receives when its entry was applied (or dropped).
struct ApplyResult {
  absl::Status status;
  std::unique_ptr<google::protobuf::Message> response;  // set when status is OK
  std::function<void()> wait_physical;                  // compaction: blocks until physical
};

class Applier {
 public:
  using Waiter = std::function<void(ApplyResult)>;

  // `kv` is not owned and must outlive the applier.
  explicit Applier(KvApplier* kv, uint64_t consistent_index);
  ~Applier();

  // Lease entries go to `leases` (not owned; null: they fail as UNIMPLEMENTED). Before Start.
  void SetLeaseApplier(LeaseApplier* leases) { leases_ = leases; }
  // Runs on the applier thread for each applied empty normal entry (a new leader's first
  // entry of its term: etcd promotes the lessor there). Before Start.
  void SetOnEmptyEntry(std::function<void(const raft::Entry&)> fn) { on_empty_entry_ = std::move(fn); }

  // Runs on the applier thread after each applied batch with the applied index (the raft
  // snapshotter). Before Start.
  void SetAfterBatch(std::function<void(uint64_t applied)> fn) { after_batch_ = std::move(fn); }

  void Start();
  void Stop();  // joins; pending waiters fail with "etcdserver: server stopped"

  // Membership attributes published through Raft go to `fn` (on the applier thread). Call
  // before Start.
  void SetMemberAttributesHook(std::function<void(const internalpb::MemberAttributes&)> fn) {
    member_attributes_hook_ = std::move(fn);
  }

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

  uint64_t applied_index() const { return applied_.load(std::memory_order_acquire); }
  // Blocks until applied_index() >= index or the applier stops; false on stop.
  bool WaitApplied(uint64_t index);
  // Registers a callback run (on the applier thread) once applied_index() >= index.
  void NotifyApplied(uint64_t index, std::function<void()> fn);

 private:
  void Loop();  // the applier thread
  void ApplyEntry(const raft::Entry& e);
  ApplyResult Execute(const std::string& data, uint64_t index, uint64_t* id);
  ApplyResult ExecuteLease(const internalpb::InternalRequest& req, uint64_t index);
  void Wake(uint64_t id, ApplyResult r);
  void RunAppliedNotifications();

  // Constant after construction.
  KvApplier* const kv_;
  LeaseApplier* leases_ = nullptr;                          // set before Start
  std::function<void(const raft::Entry&)> on_empty_entry_;  // set before Start
  std::function<void(const internalpb::MemberAttributes&)> member_attributes_hook_;
  std::function<void(uint64_t)> after_batch_;  // set before Start

  Mutex mu_;
  CondVar cv_{&mu_};
  struct Item {
    std::vector<raft::Entry> entries;
    std::function<void()> task;  // set: run instead of applying entries
  };
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::multimap<uint64_t, std::function<void()>> applied_notifications_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::atomic<uint64_t> applied_{0};
  uint64_t consistent_index_;  // applier thread only: entries at or below are in the backend

  std::thread thread_;  // runs Loop()
};

}  // namespace etcdpp::server
