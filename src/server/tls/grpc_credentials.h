#pragma once
// gRPC credentials from a TlsInfo (docs/design/tls.md). Certificates, keys and CAs are watched
// on disk by gRPC's FileWatcherCertificateProvider, so a rotated file is used by the next
// handshake without a restart. The CRL (by serial, crl.h) is checked by a verifier that closes
// a revoked caller's connection; --peer-cert-allowed-cn / --peer-cert-allowed-hostname by a
// per-call check that answers UNAUTHENTICATED "client certificate authentication failed".

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server::tls {

inline constexpr char kAuthFailed[] = "client certificate authentication failed";

// How often gRPC re-reads certificate files.
constexpr unsigned kCertRefreshSeconds = 1;

// Server side: the client port's TLS gRPC acceptor and the peer listener.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const TlsInfo& info);

// Client side of the peer transport: presents the peer certificate and verifies the remote
// member against the trusted CA (auto-TLS: self-signed certificates are not verified, as etcd
// skips verification for --peer-auto-tls).
std::shared_ptr<grpc::ChannelCredentials> GrpcChannelCredentials(const TlsInfo& info);

// With --client-cert-auth: the Common Name of the caller's verified certificate, "" without
// one. This is the caller's identity for the auth layer (etcd's AuthInfoFromTLS).
std::string CallerCommonName(const grpc::ServerContextBase& ctx);

// Whether the PEM certificate is valid for `host` (a DNS name or an IP address), by OpenSSL's
// RFC 6125 rules (X509_check_host, no partial wildcards; X509_check_ip_asc), as Go's
// VerifyHostname that etcd uses for --peer-cert-allowed-hostname.
bool CertMatchesHost(const std::string& pem, const std::string& host);

}  // namespace etcdpp::server::tls
