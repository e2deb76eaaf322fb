#include "server/rafthttp/lease_peer.h"

#include <chrono>

#include "absl/strings/match.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "lease/errors.h"
#include "server/errors.h"
#include "server/rafthttp/peer_sender.h"
#include "server/tls/peer_tls.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

constexpr std::chrono::seconds kForwardTimeout{5};  // etcd: the request timeout

// A forwarded call's state, alive until its callback ran.
template <typename Req, typename Resp>
struct Forwarded {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
};

// The leader's handler answers with the error itself (code, message and id); a call that never
// reached it (the leader is unreachable) or timed out is "no leader" / "request timed out".
[[nodiscard]] absl::Status FromGrpc(const grpc::Status& st) {
  if (std::optional<absl::Status> answered = FromPeerGrpcStatus(st)) return *answered;
  if (st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return ErrTimeout();
  return ErrNoLeader();
}

}  // namespace

grpc::ServerUnaryReactor* LeasePeerService::Renew(grpc::CallbackServerContext* ctx,
                                                  const pb::LeaseKeepAliveRequest* req,
                                                  pb::LeaseKeepAliveResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  int64_t id = req->id();
  leases_->RenewOnLeader(id, [reactor, resp, id](absl::StatusOr<int64_t> ttl) {
    if (!ttl.ok()) {
      reactor->Finish(ToPeerGrpcStatus(ttl.status()));
      return;
    }
    resp->set_id(id);
    resp->set_ttl(*ttl);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* LeasePeerService::TimeToLive(grpc::CallbackServerContext* ctx,
                                                       const pb::LeaseTimeToLiveRequest* req,
                                                       pb::LeaseTimeToLiveResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  leases_->TimeToLiveOnLeader(*req, [reactor, resp](absl::StatusOr<pb::LeaseTimeToLiveResponse> r) {
    if (!r.ok()) {
      reactor->Finish(ToPeerGrpcStatus(r.status()));
      return;
    }
    resp->Swap(&*r);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

internalpb::LeasePeer::Stub* LeasePeerClient::LeaderStub() {
  std::vector<std::string> urls = leader_peer_urls_();
  if (urls.empty()) return nullptr;
  MutexLock l(&mu_);
  auto& stub = stubs_[urls[0]];
  if (!stub) {
    stub = internalpb::LeasePeer::NewStub(
        grpc::CreateChannel(GrpcTargetOfUrl(urls[0]), tls::PeerChannelCredentials(urls[0])));
  }
  return stub.get();
}

void LeasePeerClient::Renew(int64_t id, LeaderLeases::RenewDone done) {
  internalpb::LeasePeer::Stub* stub = LeaderStub();
  if (stub == nullptr) {
    done(ErrNoLeader());
    return;
  }
  auto* f = new Forwarded<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>();
  f->ctx.set_deadline(std::chrono::system_clock::now() + kForwardTimeout);
  f->req.set_id(id);
  stub->async()->Renew(&f->ctx, &f->req, &f->resp, [f, done = std::move(done)](grpc::Status st) {
    if (st.ok()) {
      done(f->resp.ttl());
    } else {
      done(FromGrpc(st));
    }
    delete f;
  });
}

void LeasePeerClient::TimeToLive(const pb::LeaseTimeToLiveRequest& r,
                                 LeaderLeases::TimeToLiveDone done) {
  internalpb::LeasePeer::Stub* stub = LeaderStub();
  if (stub == nullptr) {
    done(ErrNoLeader());
    return;
  }
  auto* f = new Forwarded<pb::LeaseTimeToLiveRequest, pb::LeaseTimeToLiveResponse>();
  f->ctx.set_deadline(std::chrono::system_clock::now() + kForwardTimeout);
  f->req = r;
  stub->async()->TimeToLive(&f->ctx, &f->req, &f->resp,
                            [f, done = std::move(done)](grpc::Status st) {
                              if (st.ok()) {
                                done(std::move(f->resp));
                              } else {
                                done(FromGrpc(st));
                              }
                              delete f;
                            });
}

}  // namespace etcdpp::server
