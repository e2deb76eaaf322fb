#include "server/tls/peer_tls.h"

#include "absl/strings/match.h"
#include "common/mutex.h"
#include "server/tls/grpc_credentials.h"

namespace etcdpp::server::tls {
namespace {

struct PeerTls {
  Mutex mu;
  std::shared_ptr<grpc::ChannelCredentials> channel ABSL_GUARDED_BY(mu);
  std::shared_ptr<grpc::ServerCredentials> server ABSL_GUARDED_BY(mu);
};

PeerTls& State() {
  static PeerTls* s = new PeerTls();  // process lifetime
  return *s;
}

}  // namespace

[[nodiscard]] absl::Status SetPeerTls(const TlsInfo& info) {
  std::shared_ptr<grpc::ChannelCredentials> channel;
  std::shared_ptr<grpc::ServerCredentials> server;
  if (info.Enabled()) {
    channel = GrpcChannelCredentials(info);
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> s = GrpcServerCredentials(info);
    if (!s.ok()) return s.status();
    server = std::move(*s);
  }
  PeerTls& st = State();
  MutexLock l(&st.mu);
  st.channel = std::move(channel);
  st.server = std::move(server);
  return absl::OkStatus();
}

std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const std::string& url) {
  if (!absl::StartsWithIgnoreCase(url, "https://")) return grpc::InsecureChannelCredentials();
  PeerTls& st = State();
  MutexLock l(&st.mu);
  if (st.channel) return st.channel;
  return grpc::SslCredentials(grpc::SslCredentialsOptions());  // no certificate of our own
}

std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(const std::string& scheme) {
  if (scheme != "https") return grpc::InsecureServerCredentials();
  PeerTls& st = State();
  MutexLock l(&st.mu);
  return st.server;
}

}  // namespace etcdpp::server::tls
