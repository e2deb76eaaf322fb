#include "server/apply/applier.h"

#include "absl/time/clock.h"
#include "common/failpoint.h"
#include "internalpb/internal.pb.h"
#include "raft/confchange.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

Applier::Applier(ApplierV3* chain, mvcc::KvStore* store)
    : chain_(chain), store_(store), consistent_index_(store->ConsistentIndex()) {}

Applier::~Applier() { Stop(); }

void Applier::Start() {
  loop_.Start("etcdpp-applier", [this] { Loop(); });
}

void Applier::Stop() {
  if (!loop_.Stop()) return;  // stopped before: the waiters were failed then
  absl::flat_hash_map<uint64_t, Waiter> waiters;
  {
    MutexLock l(loop_.mu());
    waiters.swap(waiters_);
    applied_notifications_.clear();
  }
  for (auto& [id, w] : waiters) w(ApplyResult{ErrStopped(), nullptr, nullptr});
}

void Applier::Register(uint64_t id, Waiter w) {
  MutexLock l(loop_.mu());
  waiters_[id] = std::move(w);
}

void Applier::Fail(uint64_t id, absl::Status st) {
  Wake(id, ApplyResult{std::move(st), nullptr, nullptr});
}

bool Applier::FailWith(uint64_t id, const std::function<absl::Status()>& make) {
  Waiter w;
  {
    MutexLock l(loop_.mu());
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return false;
    w = std::move(it->second);
    waiters_.erase(it);
  }
  w(ApplyResult{make(), nullptr, nullptr});
  return true;
}

void Applier::Enqueue(std::vector<raft::Entry> entries) {
  {
    MutexLock l(loop_.mu());
    queue_.push_back(Item{std::move(entries), nullptr});
  }
  loop_.SignalAll();
}

void Applier::EnqueueTask(std::function<void()> task) {
  {
    MutexLock l(loop_.mu());
    queue_.push_back(Item{{}, std::move(task)});
  }
  loop_.SignalAll();
}

void Applier::ResetTo(uint64_t applied, uint64_t consistent_index) {
  consistent_index_ = consistent_index;
  applied_.store(applied, std::memory_order_release);
}

void Applier::Halt(absl::Status why) {
  {
    MutexLock l(loop_.mu());
    if (halted_.ok()) halted_ = std::move(why);
    queue_.clear();
  }
  loop_.SignalAll();  // WaitApplied callers: nothing more will be applied
}

absl::Status Applier::halted() const {
  MutexLock l(loop_.mu());
  return halted_;
}

bool Applier::WaitApplied(uint64_t index) {
  MutexLock l(loop_.mu());
  while (!loop_.stopping() && halted_.ok() && applied_.load(std::memory_order_acquire) < index) {
    loop_.Wait();
  }
  return !loop_.stopping() && applied_.load(std::memory_order_acquire) >= index;
}

void Applier::NotifyApplied(uint64_t index, std::function<void()> fn) {
  {
    MutexLock l(loop_.mu());
    if (applied_.load(std::memory_order_acquire) < index) {
      applied_notifications_.emplace(index, std::move(fn));
      return;
    }
  }
  fn();
}

void Applier::Loop() {
  for (;;) {
    Item item;
    {
      MutexLock l(loop_.mu());
      while (!loop_.stopping() && queue_.empty()) loop_.Wait();
      if (loop_.stopping() || !halted_.ok()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    if (item.task) {
      item.task();
      if (!halted().ok()) return;  // the task found the state untrustworthy: apply nothing more
    }
    for (const raft::Entry& e : item.entries) ApplyEntry(e);
    loop_.SignalAll();  // WaitApplied callers
    RunAppliedNotifications();
    if (after_batch_) after_batch_(applied_.load(std::memory_order_acquire));
  }
}

void Applier::RunAppliedNotifications() {
  std::vector<std::function<void()>> ready;
  {
    MutexLock l(loop_.mu());
    uint64_t applied = applied_.load(std::memory_order_acquire);
    auto end = applied_notifications_.upper_bound(applied);
    for (auto it = applied_notifications_.begin(); it != end; ++it)
      ready.push_back(std::move(it->second));
    applied_notifications_.erase(applied_notifications_.begin(), end);
  }
  for (auto& fn : ready) fn();
}

void Applier::ApplyEntry(const raft::Entry& e) {
  const bool in_backend = e.index <= consistent_index_;
  if (e.type == raft::EntryType::kConfChange) {
    ETCDPP_FAILPOINT(beforeApplyOneConfChange);
    ApplyConfChange(e, in_backend);
  } else if (!e.data.empty()) {
    ETCDPP_FAILPOINT(beforeApplyOneEntryNormal);
    uint64_t id = 0;
    const absl::Time start = absl::Now();
    ApplyResult r = Execute(e.data, e.index, &id);
    WarnIfSlow(absl::Now() - start, e.index);
    if (id != 0) Wake(id, std::move(r));
  } else if (on_empty_entry_) {
    on_empty_entry_(e);
  }
  if (!in_backend) {
    // Entries that wrote nothing (or failed before writing) move the consistent index too; a
    // no-op when the entry's own write txn already stored it.
    consistent_index_ = e.index;
    store_->SetConsistentIndex(e.index);
  }
  applied_.store(e.index, std::memory_order_release);
}

// etcd's warnOfExpensiveRequest for applies (warnApplyDuration).
void Applier::WarnIfSlow(absl::Duration took, uint64_t index) {
  static constexpr absl::Duration kWarnApplyDuration = absl::Milliseconds(100);
  if (took <= kWarnApplyDuration) return;
  SPDLOG_WARN("apply request took too long (took {}, expected-duration {}, index {})",
              absl::FormatDuration(took), absl::FormatDuration(kWarnApplyDuration), index);
  Metrics::Get().SlowApply();
}

void Applier::ApplyConfChange(const raft::Entry& e, bool in_backend) {
  absl::StatusOr<raft::ConfChange> cc = raft::DecodeConfChange(e.data);
  if (!cc.ok()) {
    // The node thread already refused it as undecodable; nothing to apply.
    SPDLOG_CRITICAL("undecodable conf change at index {}: {}", e.index, cc.status().ToString());
    return;
  }
  if (conf_change_hook_) conf_change_hook_(e, *cc, in_backend);
}

// Applies one client request. Entries the backend already holds (replayed after a restart)
// are skipped: their effects are durable and their waiters are gone.
ApplyResult Applier::Execute(const std::string& data, uint64_t index, uint64_t* id) {
  internalpb::InternalRequest req;
  if (!req.ParseFromString(data)) {
    SPDLOG_ERROR("cannot decode the request at raft index {}", index);
    return ApplyResult{absl::DataLossError("undecodable request"), nullptr, nullptr};
  }
  *id = req.id();
  if (index <= consistent_index_) return ApplyResult{ErrStopped(), nullptr, nullptr};
  return ApplyRequest(chain_, req, index);
}

void Applier::Wake(uint64_t id, ApplyResult r) {
  Waiter w;
  {
    MutexLock l(loop_.mu());
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return;
    w = std::move(it->second);
    waiters_.erase(it);
  }
  w(std::move(r));
}

}  // namespace etcdpp::server
