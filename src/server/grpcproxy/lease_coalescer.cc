#include "server/grpcproxy/lease_coalescer.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/mutex.h"
#include "server/grpcproxy/coalesce_streams.h"
#include "server/grpcproxy/unary_forward.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

constexpr char kKeepAlive[] = "/etcdserverpb.Lease/LeaseKeepAlive";

class KaStream;
class KaGroup;

}  // namespace

struct CoalescingLease::Impl {
  Upstream* up;
  const CallObserver* observer;
  const KeyNamespace* ns;
  std::shared_ptr<PendingCalls> pending = std::make_shared<PendingCalls>();
  GroupMap<KaGroup> groups;
};

namespace {

using Impl = CoalescingLease::Impl;

// A client's LeaseKeepAlive stream.
class KaStream final : public ClientBidi<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse> {
 public:
  KaStream(std::shared_ptr<Impl> impl, std::shared_ptr<KaGroup> group)
      : ClientBidi(kKeepAlive, impl->observer, CoalescingLease::kMaxQueuedBytes),
        impl_(std::move(impl)),
        group_(std::move(group)) {}

 private:
  void OnRequest(const pb::LeaseKeepAliveRequest& req) override;
  void OnStreamDone() override;

  const std::shared_ptr<Impl> impl_;
  const std::shared_ptr<KaGroup> group_;
};

class KaGroup final : public MemberLink<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse> {
 public:
  KaGroup(const std::shared_ptr<Impl>& impl, std::string key, Metadata md)
      : MemberLink(impl->up, impl->pending, kKeepAlive, std::move(md)), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

  void AddStream(KaStream* s) {
    MutexLock l(&mu_);
    streams_.insert(s);
  }
  // True when the group has no stream left.
  bool RemoveStream(KaStream* s) {
    MutexLock l(&mu_);
    streams_.erase(s);
    for (auto& [id, w] : leases_) {
      std::erase(w.sent, s);
      std::erase(w.next, s);
    }
    return streams_.empty();
  }
  Closing Close() {
    MutexLock l(&mu_);
    leases_.clear();
    return CloseLink();
  }

  void KeepAlive(KaStream* s, int64_t id) {
    {
      MutexLock l(&mu_);
      if (closed_ || s->Ended()) return;
      Waiters& w = leases_[id];
      if (w.in_flight) {
        w.next.push_back(s);  // answered by the keep-alive after the one on its way
      } else {
        w.sent.push_back(s);
        w.in_flight = Send(id);
      }
    }
    StartMade();
  }

  void MemberRead(Stream* m, const pb::LeaseKeepAliveResponse& r) override {
    MutexLock l(&mu_);
    if (!Current(m)) return;
    Healthy();
    auto it = leases_.find(r.id());
    if (it == leases_.end()) return;
    Waiters& w = it->second;
    for (KaStream* s : w.sent) s->Post(r);
    w.sent.clear();
    w.in_flight = false;
    if (w.next.empty()) {
      leases_.erase(it);
      return;
    }
    w.sent.swap(w.next);
    w.in_flight = Send(r.id());
  }

  void MemberDone(Stream* m, const grpc::Status& s) override {
    MutexLock l(&mu_);
    if (!Current(m)) return;
    // Every waiting client is sent again on the next stream.
    for (auto& [id, w] : leases_) {
      w.in_flight = false;
      w.sent.insert(w.sent.end(), w.next.begin(), w.next.end());
      w.next.clear();
    }
    if (RetryableEnd(s)) {
      SPDLOG_INFO("grpc-proxy: keep-alive stream to the member ended (code {}: {}); {} leases wait",
                  static_cast<int>(s.error_code()), s.error_message(), leases_.size());
      Down(m, s, /*reopen=*/!leases_.empty());
      return;
    }
    Down(m, s, /*reopen=*/false);
    leases_.clear();
    for (KaStream* cs : streams_) cs->End(s);
  }

 private:
  struct Waiters {
    bool in_flight = false;       // a keep-alive of this lease is on the member stream
    std::vector<KaStream*> sent;  // answered by it (or by the first one, when none is)
    std::vector<KaStream*> next;  // asked after it left
  };

  void Resume() override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::erase_if(leases_, [](const auto& e) { return e.second.sent.empty(); });  // all left
    for (auto& [id, w] : leases_) w.in_flight = Send(id);
  }
  // False while no member stream can be had (a back-off runs: Resume sends it).
  bool Send(int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Stream* m = Member();
    if (m == nullptr) return false;
    pb::LeaseKeepAliveRequest req;
    req.set_id(id);
    m->Send(std::move(req));
    return true;
  }

  const std::string key_;
  absl::flat_hash_set<KaStream*> streams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, Waiters> leases_ ABSL_GUARDED_BY(mu_);
};

void KaStream::OnRequest(const pb::LeaseKeepAliveRequest& req) {
  group_->KeepAlive(this, req.id());
}

void KaStream::OnStreamDone() { impl_->groups.Leave(group_, this); }

}  // namespace

CoalescingLease::CoalescingLease(Upstream* up, const CallObserver* observer, const KeyNamespace* ns)
    : impl_(std::make_shared<Impl>()) {
  impl_->up = up;
  impl_->observer = observer;
  impl_->ns = ns;
}

CoalescingLease::~CoalescingLease() { impl_->groups.CloseAll(impl_->pending.get()); }

grpc::ServerBidiReactor<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>*
CoalescingLease::LeaseKeepAlive(grpc::CallbackServerContext* ctx) {
  KaStream* s = nullptr;
  impl_->groups.Enter(
      ForwardedMetadata(*ctx),
      [&](const std::string& key, Metadata md) {
        return std::make_shared<KaGroup>(impl_, key, std::move(md));
      },
      [&](KaGroup* g) {
        s = new KaStream(impl_, std::static_pointer_cast<KaGroup>(g->shared_from_this()));
        g->AddStream(s);
      });
  s->Begin();
  return s;
}

grpc::ServerUnaryReactor* CoalescingLease::LeaseGrant(grpc::CallbackServerContext* ctx,
                                                      const pb::LeaseGrantRequest* req,
                                                      pb::LeaseGrantResponse* resp) {
  return ForwardUnary<pb::LeaseGrantRequest, pb::LeaseGrantResponse>(
      impl_->up, impl_->observer, ctx, "/etcdserverpb.Lease/LeaseGrant", *req, resp);
}

grpc::ServerUnaryReactor* CoalescingLease::LeaseRevoke(grpc::CallbackServerContext* ctx,
                                                       const pb::LeaseRevokeRequest* req,
                                                       pb::LeaseRevokeResponse* resp) {
  return ForwardUnary<pb::LeaseRevokeRequest, pb::LeaseRevokeResponse>(
      impl_->up, impl_->observer, ctx, "/etcdserverpb.Lease/LeaseRevoke", *req, resp);
}

grpc::ServerUnaryReactor* CoalescingLease::LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                                           const pb::LeaseTimeToLiveRequest* req,
                                                           pb::LeaseTimeToLiveResponse* resp) {
  std::function<void(pb::LeaseTimeToLiveResponse*)> strip;
  if (const KeyNamespace* ns = impl_->ns; ns != nullptr) {
    strip = [ns](pb::LeaseTimeToLiveResponse* r) { ns->Strip(r); };
  }
  return ForwardUnary<pb::LeaseTimeToLiveRequest, pb::LeaseTimeToLiveResponse>(
      impl_->up, impl_->observer, ctx, "/etcdserverpb.Lease/LeaseTimeToLive", *req, resp,
      std::move(strip));
}

grpc::ServerUnaryReactor* CoalescingLease::LeaseLeases(grpc::CallbackServerContext* ctx,
                                                       const pb::LeaseLeasesRequest* req,
                                                       pb::LeaseLeasesResponse* resp) {
  return ForwardUnary<pb::LeaseLeasesRequest, pb::LeaseLeasesResponse>(
      impl_->up, impl_->observer, ctx, "/etcdserverpb.Lease/LeaseLeases", *req, resp);
}

}  // namespace etcdpp::server::grpcproxy
