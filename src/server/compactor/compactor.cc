#include "server/compactor/compactor.h"

#include <string>
#include <utility>

#include "mvcc/kvstore.h"
#include "server/compactor/periodic.h"
#include "server/compactor/revision.h"
#include "server/go_duration.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::compactor {

std::unique_ptr<Schedule> ScheduleFor(const Config& cfg, absl::Time start) {
  if (cfg.auto_compaction_mode == "periodic" && cfg.auto_compaction_period > absl::ZeroDuration())
    return std::make_unique<PeriodicSchedule>(cfg.auto_compaction_period, start);
  if (cfg.auto_compaction_mode == "revision" && cfg.auto_compaction_revisions > 0)
    return std::make_unique<RevisionSchedule>(cfg.auto_compaction_revisions);
  return nullptr;
}

void PendingCompaction::Finish(absl::Status st) {
  MutexLock l(&mu_);
  if (!result_.has_value()) result_ = std::move(st);
  cv_.SignalAll();
}

void PendingCompaction::Cancel() {
  MutexLock l(&mu_);
  cancelled_ = true;
  cv_.SignalAll();
}

std::optional<absl::Status> PendingCompaction::Wait() {
  MutexLock l(&mu_);
  while (!cancelled_ && !result_.has_value()) cv_.Wait(&mu_);
  if (cancelled_) return std::nullopt;
  return result_;
}

Compactor::Compactor(std::unique_ptr<Schedule> schedule, std::unique_ptr<Clock> clock, Deps deps)
    : schedule_(std::move(schedule)), clock_(std::move(clock)), deps_(std::move(deps)) {}

Compactor::~Compactor() { Stop(); }

void Compactor::Start() {
  loop_.Start("etcdpp-compact", [this] { Loop(); });
}

void Compactor::Stop() {
  {
    MutexLock l(loop_.mu());
    loop_.MarkStopping();
    if (pending_ != nullptr) pending_->Cancel();
  }
  clock_->Cancel();
  loop_.Stop();
}

void Compactor::Loop() {
  for (;;) {
    schedule_->BeforeSleep(deps_.current_rev());
    if (!clock_->SleepFor(schedule_->interval())) return;
    if (!deps_.is_leader()) continue;  // etcd's Pause: a follower only samples
    std::optional<int64_t> rev = schedule_->Due(clock_->Now(), deps_.current_rev());
    if (rev.has_value() && !CompactTo(*rev)) return;
  }
}

bool Compactor::CompactTo(int64_t rev) {
  auto pending = std::make_shared<PendingCompaction>();
  {
    MutexLock l(loop_.mu());
    if (loop_.stopping()) return false;
    pending_ = pending;
  }
  SPDLOG_INFO("Starting auto-compaction at revision {} (retention: {})", rev,
               schedule_->RetentionText());
  deps_.compact(rev, [pending](absl::Status st) { pending->Finish(std::move(st)); });
  std::optional<absl::Status> st = pending->Wait();
  {
    MutexLock l(loop_.mu());
    pending_ = nullptr;
  }
  if (!st.has_value()) return false;
  if (st->ok() || mvcc::IsCompacted(*st)) {
    schedule_->Done(clock_->Now(), rev);
    SPDLOG_INFO("Finished auto-compaction at revision {}", rev);
  } else {
    SPDLOG_WARN("Failed auto-compaction at revision {} ({})", rev, std::string(st->message()));
    SPDLOG_WARN("Retry after {}", FormatGoDuration(schedule_->interval()));
  }
  return true;
}

}  // namespace etcdpp::server::compactor
