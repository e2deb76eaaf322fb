#pragma once
// The TLS of a port that serves gRPC and HTTP/1.1 on the same listener (the client port, the
// grpc-proxy's port): gRPC's credentials for the connections handed to gRPC and the OpenSSL
// context for the ones the port terminates itself, both from one TlsInfo.

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/tls/ssl_context.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server::tls {

struct ListenerTls {
  std::shared_ptr<grpc::ServerCredentials> grpc;  // shared: gRPC's credentials type
  std::unique_ptr<SslContextSource> http;
};

[[nodiscard]] absl::StatusOr<ListenerTls> MakeListenerTls(const TlsInfo& info);

}  // namespace etcdpp::server::tls
