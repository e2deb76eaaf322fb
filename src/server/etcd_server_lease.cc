// EtcdServer's leases: the lessor's lifecycle (open, promote on the leader's first entry,
// expiry timer) and the leader-side operations of the Lease service (etcd's v3_server.go
// LeaseRenew / LeaseTimeToLive), with the seam where forwarding from a follower plugs in.
#include <cmath>

#include "common/env.h"
#include "common/status.h"
#include "lease/errors.h"
#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/lease_peer.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// etcd: leases live at least 1.5 election timeouts (in heartbeat ticks), rounded up to seconds.
int64_t MinLeaseTtl(const Config& cfg) {
  const uint64_t hb = std::max<uint64_t>(1, cfg.heartbeat_interval_ms);
  const uint64_t election_ticks = cfg.election_timeout_ms / hb;
  const double min_ms = static_cast<double>((3 * election_ticks) / 2 * hb);
  return static_cast<int64_t>(std::ceil(min_ms / 1000.0));
}

}  // namespace

absl::Status EtcdServer::OpenLeases() {
  lease::Options lo;
  lo.min_ttl = MinLeaseTtl(cfg_);
  ASSIGN_OR_RETURN(lessor_, lease::Lessor::Open(backend_.get(), lo));
  lease_applier_ = std::make_unique<LeaseApplier>(kv_.get(), lessor_.get());
  RETURN_NOT_OK(lease_applier_->RestoreAttachments());
  kv_applier_->SetLessor(lessor_.get());
  lease_timer_ = std::make_unique<LeaseTimer>(
      LeaseTimer::Options{}, lessor_.get(), [this] { return IsLeader(); },
      [this](internalpb::InternalRequest req) {
        Propose(std::move(req), [](ApplyResult r) {
          if (!r.status.ok() && !lease::IsLeaseNotFound(r.status)) {
            spdlog::warn("failed to revoke or checkpoint leases: {}", r.status.ToString());
          }
        });
      });
  // Followers forward keepalives and TimeToLive to the leader over the peer port.
  lease_peer_service_ = std::make_unique<LeasePeerService>(this);
  // Shared by the two forwarding functions.
  auto client = std::make_shared<LeasePeerClient>([this] { return LeaderPeerUrls(); });
  SetLeaseForwarder(
      LeaseForwarder{[client](int64_t id, RenewDone done) { client->Renew(id, std::move(done)); },
                     [client](const pb::LeaseTimeToLiveRequest& r, TimeToLiveDone done) {
                       client->TimeToLive(r, std::move(done));
                     }});
  // etcd's idutil layout: 16 member bits (added by NextLeaseId: the member id is not known
  // yet), then 40 bits of milliseconds at start and 8 bits of counter.
  const uint64_t now_ms = Env::Default()->NowMicros() / 1000;
  lease_id_base_ = (now_ms & ((uint64_t{1} << 40) - 1)) << 8;
  return absl::OkStatus();
}

int64_t EtcdServer::NextLeaseId() {
  for (;;) {
    uint64_t seq = next_lease_seq_.fetch_add(1, std::memory_order_relaxed) + 1;
    uint64_t id =
        ((member_id_ & 0xffff) << 48) | ((lease_id_base_ + seq) & ((uint64_t{1} << 48) - 1));
    id &= (uint64_t{1} << 63) - 1;  // positive, as etcd
    if (id != 0) return static_cast<int64_t>(id);
  }
}

bool EtcdServer::IsLeader() const { return node_ != nullptr && node_->leader() == member_id_; }

// The new leader's empty entry of its term: from here on its lessor is the primary, with an
// election timeout of grace for every lease (etcd's Promote(electionTimeout)).
void EtcdServer::OnEmptyEntry(const raft::Entry& e) {
  if (!IsLeader() || e.term != node_->term()) return;
  lessor_->Promote(absl::Milliseconds(static_cast<int64_t>(cfg_.election_timeout_ms)));
}

void EtcdServer::SetLeaseForwarder(LeaseForwarder f) {
  MutexLock l(&mu_);
  lease_forwarder_ = std::move(f);
}

EtcdServer::LeaseForwarder EtcdServer::lease_forwarder() const {
  MutexLock l(&mu_);
  return lease_forwarder_;
}

std::vector<std::string> EtcdServer::LeaderPeerUrls() const {
  const uint64_t lead = node_ != nullptr ? node_->leader() : 0;
  if (lead == 0 || lead == member_id_) return {};
  std::optional<Member> m = cluster_->Get(lead);
  return m.has_value() ? m->peer_urls : std::vector<std::string>{};
}

void EtcdServer::RenewLease(int64_t id, RenewDone done, bool forward) {
  if (!IsLeader()) {
    LeaseForwarder f = forward ? lease_forwarder() : LeaseForwarder{};
    if (f.renew) {
      f.renew(id, std::move(done));
    } else {
      done(ErrNoLeader());
    }
    return;
  }
  applier_->NotifyApplied(node_->commit_index(), [this, id, done = std::move(done)]() mutable {
    RenewOnLeader(id, std::move(done));
  });
}

// A lease with a checkpointed remaining TTL first commits a checkpoint clearing it, so that no
// later leader restarts the lease from the stale remaining TTL after this renewal was
// acknowledged (etcd's Renew does the same).
void EtcdServer::RenewOnLeader(int64_t id, RenewDone done) {
  if (lessor_->HasCheckpointedRemaining(id)) {
    internalpb::InternalRequest req;
    pb::LeaseCheckpoint* cp = req.mutable_lease_checkpoint()->add_checkpoints();
    cp->set_id(id);
    cp->set_remaining_ttl(0);
    Propose(std::move(req), [this, id, done = std::move(done)](ApplyResult r) {
      if (!r.status.ok()) {
        done(r.status);
        return;
      }
      done(lessor_->Renew(id));
    });
    return;
  }
  absl::StatusOr<int64_t> ttl = lessor_->Renew(id);
  if (!ttl.ok() && lease::IsNotPrimary(ttl.status())) {
    done(ErrNoLeader());  // leadership is changing: not promoted yet, or just demoted
    return;
  }
  done(std::move(ttl));
}

void EtcdServer::LeaseTimeToLive(const pb::LeaseTimeToLiveRequest& r, TimeToLiveDone done,
                                 bool forward) {
  if (!IsLeader()) {
    LeaseForwarder f = forward ? lease_forwarder() : LeaseForwarder{};
    if (f.time_to_live) {
      f.time_to_live(r, std::move(done));
    } else {
      done(ErrNoLeader());
    }
    return;
  }
  applier_->NotifyApplied(node_->commit_index(), [this, r, done = std::move(done)] {
    std::optional<lease::LeaseInfo> info = lessor_->Lookup(r.id(), r.keys());
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
