#include "server/tls/listener_tls.h"

#include "server/tls/grpc_credentials.h"

namespace etcdpp::server::tls {

absl::StatusOr<ListenerTls> MakeListenerTls(const TlsInfo& info) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = GrpcServerCredentials(info);
  if (!creds.ok()) return creds.status();
  absl::StatusOr<std::unique_ptr<SslContextSource>> ssl = SslContextSource::Create(info);
  if (!ssl.ok()) return ssl.status();
  return ListenerTls{std::move(*creds), std::move(*ssl)};
}

}  // namespace etcdpp::server::tls
