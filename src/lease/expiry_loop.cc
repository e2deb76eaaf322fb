#include "lease/expiry_loop.h"

#include <algorithm>
#include <chrono>

#include "common/env.h"
#include "common/mutex.h"

namespace etcdpp::lease {

ExpiryLoop::ExpiryLoop(Options o, lease::Lessor* lessor, std::function<bool()> is_leader,
                       ProposeFn propose)
    : opts_(o), lessor_(lessor), is_leader_(std::move(is_leader)), propose_(std::move(propose)) {}

ExpiryLoop::~ExpiryLoop() { Stop(); }

void ExpiryLoop::Start() {
  last_refill_us_ = static_cast<int64_t>(Env::Default()->NowMicros());
  tokens_ = static_cast<double>(opts_.revokes_per_second) / 2;
  loop_.Start("etcdpp-lease", [this] { Loop(); });
}

void ExpiryLoop::Stop() { loop_.Stop(); }

void ExpiryLoop::Loop() {
  for (;;) {
    RunOnce();
    MutexLock l(loop_.mu());
    if (!loop_.SleepFor(std::chrono::microseconds(WaitMicros()))) return;
  }
}

// Tokens accrue at revokes_per_second, up to half a second's worth (etcd revokes at most
// rate/2 leases per half-second round).
void ExpiryLoop::Refill(int64_t now_us) {
  const double burst = static_cast<double>(opts_.revokes_per_second) / 2;
  tokens_ = std::min(burst, tokens_ + static_cast<double>(now_us - last_refill_us_) *
                                          static_cast<double>(opts_.revokes_per_second) / 1e6);
  last_refill_us_ = now_us;
}

void ExpiryLoop::RunOnce() {
  if (!is_leader_()) {
    if (lessor_->primary()) lessor_->Demote();
    return;
  }
  Refill(static_cast<int64_t>(Env::Default()->NowMicros()));
  size_t budget = static_cast<size_t>(tokens_);
  if (budget > 0) {
    for (lease::LeaseId id : lessor_->FindExpired(budget)) {
      internalpb::InternalRequest req;
      req.mutable_lease_revoke()->set_id(id);
      propose_(std::move(req));
      tokens_ -= 1;
    }
  }
  std::vector<lease::CheckpointItem> cps = lessor_->FindDueCheckpoints(opts_.checkpoints_per_batch);
  if (cps.empty()) return;
  internalpb::InternalRequest req;
  for (const lease::CheckpointItem& c : cps) {
    etcdserverpb::LeaseCheckpoint* cp = req.mutable_lease_checkpoint()->add_checkpoints();
    cp->set_id(c.id);
    cp->set_remaining_ttl(c.remaining_ttl);
  }
  propose_(std::move(req));
}

// Until the next expiry or checkpoint, at most max_wait_ms; at least 1 ms, and at least until
// a token accrues when the budget is spent.
int64_t ExpiryLoop::WaitMicros() const {
  int64_t wait = opts_.max_wait_ms * 1000;
  if (std::optional<int64_t> next = lessor_->NextDeadlineUs()) wait = std::min(wait, *next);
  if (tokens_ < 1)
    wait = std::max<int64_t>(wait, 1000000 / std::max<int64_t>(1, opts_.revokes_per_second));
  return std::max<int64_t>(wait, 1000);
}

}  // namespace etcdpp::lease
