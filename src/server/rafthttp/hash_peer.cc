#include "server/rafthttp/hash_peer.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "server/errors.h"
#include "server/rafthttp/peer_sender.h"
#include "server/tls/peer_tls.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {}  // namespace

grpc::ServerUnaryReactor* HashPeerService::HashKV(grpc::CallbackServerContext* ctx,
                                                  const pb::HashKVRequest* req,
                                                  pb::HashKVResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToPeerGrpcStatus(hash_kv_(req->revision(), resp)));
  return reactor;
}

internalpb::HashPeer::Stub* HashPeerClient::StubFor(const std::string& peer_url) {
  MutexLock l(&mu_);
  auto& stub = stubs_[peer_url];
  if (!stub) {
    stub = internalpb::HashPeer::NewStub(
        grpc::CreateChannel(GrpcTargetOfUrl(peer_url), tls::PeerChannelCredentials(peer_url)));
  }
  return stub.get();
}

absl::StatusOr<pb::HashKVResponse> HashPeerClient::HashKV(const std::string& peer_url, int64_t rev,
                                                          std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  pb::HashKVRequest req;
  req.set_revision(rev);
  pb::HashKVResponse resp;
  grpc::Status st = StubFor(peer_url)->HashKV(&ctx, req, &resp);
  if (st.ok()) return resp;
  if (std::optional<absl::Status> answered = FromPeerGrpcStatus(st)) return *answered;
  return absl::UnavailableError(
      absl::StrCat("peer ", peer_url, " did not answer: ", st.error_message()));
}

}  // namespace etcdpp::server
