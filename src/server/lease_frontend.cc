#include "server/lease_frontend.h"

#include "lease/errors.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;
namespace {

// Counts a renewal the lessor made (etcd's etcd_debugging_lease_renewed_total).
absl::StatusOr<int64_t> Renewed(absl::StatusOr<int64_t> ttl) {
  if (ttl.ok()) Metrics::Get().LeaseRenewed();
  return ttl;
}

}  // namespace

LeaseFrontend::LeaseFrontend(Deps d)
    : d_(std::move(d)), id_base_((d_.start_ms & ((uint64_t{1} << 40) - 1)) << 8) {
  expiry_ = std::make_unique<lease::ExpiryLoop>(
      lease::ExpiryLoop::Options{}, d_.lessor, [this] { return IsLeader(); },
      [this](internalpb::InternalRequest req) {
        // Expiry revocations and checkpoints are the member's own: the auth applier does not
        // judge them (etcd runs them as root).
        req.mutable_auth_header()->set_system(true);
        const bool revoke = req.has_lease_revoke();
        d_.proposals->Propose(std::move(req), [revoke](ApplyResult r) {
          if (!r.status.ok() && !lease::IsLeaseNotFound(r.status)) {
            SPDLOG_WARN("failed to revoke or checkpoint leases: {}", r.status.ToString());
          }
          if (revoke && r.status.ok()) Metrics::Get().LeaseExpired();
        });
      });
  peer_service_ = std::make_unique<LeasePeerService>(this);
  // Shared by the two forwarding functions.
  auto client = std::make_shared<LeasePeerClient>([this] { return LeaderPeerUrls(); });
  SetForwarder(
      Forwarder{[client](int64_t id, RenewDone done) { client->Renew(id, std::move(done)); },
                [client](const pb::LeaseTimeToLiveRequest& r, TimeToLiveDone done) {
                  client->TimeToLive(r, std::move(done));
                }});
}

LeaseFrontend::~LeaseFrontend() { Stop(); }

void LeaseFrontend::Start() { expiry_->Start(); }

void LeaseFrontend::Stop() { expiry_->Stop(); }

void LeaseFrontend::SetForwarder(Forwarder f) {
  MutexLock l(&mu_);
  forwarder_ = std::move(f);
}

LeaseFrontend::Forwarder LeaseFrontend::forwarder() const {
  MutexLock l(&mu_);
  return forwarder_;
}

// The member's 16 bits on top (etcd's idutil), positive.
int64_t LeaseFrontend::NextLeaseId() {
  for (;;) {
    uint64_t seq = next_seq_.fetch_add(1, std::memory_order_relaxed) + 1;
    uint64_t id = ((d_.member_id & 0xffff) << 48) | ((id_base_ + seq) & ((uint64_t{1} << 48) - 1));
    id &= (uint64_t{1} << 63) - 1;  // positive, as etcd
    if (id != 0) return static_cast<int64_t>(id);
  }
}

bool LeaseFrontend::IsLeader() const { return d_.node->leader() == d_.member_id; }

void LeaseFrontend::OnEmptyEntry(const raft::Entry& e) {
  if (!IsLeader() || e.term != d_.node->term()) return;
  d_.lessor->Promote(d_.election_timeout);
}

std::vector<std::string> LeaseFrontend::LeaderPeerUrls() const {
  const uint64_t lead = d_.node->leader();
  if (lead == 0 || lead == d_.member_id) return {};
  std::optional<Member> m = d_.cluster->Get(lead);
  return m.has_value() ? m->peer_urls : std::vector<std::string>{};
}

void LeaseFrontend::RenewLease(int64_t id, RenewDone done) {
  if (IsLeader()) return RenewOnLeader(id, std::move(done));
  Forwarder f = forwarder();
  if (!f.renew) return done(ErrNoLeader());
  f.renew(id, std::move(done));
}

void LeaseFrontend::LeaseTimeToLive(const pb::LeaseTimeToLiveRequest& r, TimeToLiveDone done) {
  if (IsLeader()) return TimeToLiveOnLeader(r, std::move(done));
  Forwarder f = forwarder();
  if (!f.time_to_live) return done(ErrNoLeader());
  f.time_to_live(r, std::move(done));
}

// Renews once this member applied what was committed (etcd's LeaseRenew).
void LeaseFrontend::RenewOnLeader(int64_t id, RenewDone done) {
  if (!IsLeader()) return done(ErrNoLeader());
  d_.applier->NotifyApplied(d_.node->commit_index(), [this, id, done = std::move(done)]() mutable {
    RenewApplied(id, std::move(done));
  });
}

// A lease with a checkpointed remaining TTL first commits a checkpoint clearing it, so that no
// later leader restarts the lease from the stale remaining TTL after this renewal was
// acknowledged (etcd's Renew does the same).
void LeaseFrontend::RenewApplied(int64_t id, RenewDone done) {
  if (d_.lessor->HasCheckpointedRemaining(id)) {
    internalpb::InternalRequest req;
    pb::LeaseCheckpoint* cp = req.mutable_lease_checkpoint()->add_checkpoints();
    cp->set_id(id);
    cp->set_remaining_ttl(0);
    d_.proposals->Propose(std::move(req), [this, id, done = std::move(done)](ApplyResult r) {
      if (!r.status.ok()) {
        done(r.status);
        return;
      }
      done(Renewed(d_.lessor->Renew(id)));
    });
    return;
  }
  absl::StatusOr<int64_t> ttl = Renewed(d_.lessor->Renew(id));
  if (!ttl.ok() && lease::IsNotPrimary(ttl.status())) {
    done(ErrNoLeader());  // leadership is changing: not promoted yet, or just demoted
    return;
  }
  done(std::move(ttl));
}

void LeaseFrontend::TimeToLiveOnLeader(const pb::LeaseTimeToLiveRequest& r, TimeToLiveDone done) {
  if (!IsLeader()) return done(ErrNoLeader());
  d_.applier->NotifyApplied(d_.node->commit_index(), [this, r, done = std::move(done)] {
    std::optional<lease::LeaseInfo> info = d_.lessor->Lookup(r.id(), r.keys());
    if (!info) {
      done(lease::LeaseNotFoundError());
      return;
    }
    pb::LeaseTimeToLiveResponse resp;
    resp.set_id(r.id());
    resp.set_ttl(info->remaining_us / 1000000);  // whole seconds, truncated as etcd
    resp.set_grantedttl(info->ttl);
    for (std::string& k : info->keys) resp.add_keys(std::move(k));
    done(std::move(resp));
  });
}

}  // namespace etcdpp::server
