#pragma once
// The peer side's credentials, set once at startup (EtcdServer::Open) and read by every piece
// that dials or serves the peer port (the transport's senders and listener, lease forwarding,
// joining a cluster): an https:// peer URL gets TLS with --peer-cert-file & co. (or the
// --peer-auto-tls certificate), an http:// one plaintext. One member per process.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server::tls {

[[nodiscard]] absl::Status SetPeerTls(const TlsInfo& info);

// For dialing a member at `url` ("https://host:port" or "http://...").
std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const std::string& url);

// For listening on a peer URL of that scheme; null for https without certificates (startup
// refuses such a URL before this is asked).
std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(const std::string& scheme);

}  // namespace etcdpp::server::tls
