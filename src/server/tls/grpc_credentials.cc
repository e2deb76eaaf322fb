#include "server/tls/grpc_credentials.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "server/tls/crl.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::tls {
namespace gx = grpc::experimental;
namespace {

// Checks a verified client certificate's serial against the CRL, as etcd does. Runs once
// gRPC's handshake has verified the chain; a revoked certificate's connection is closed.
class CrlVerifier final : public gx::ExternalCertificateVerifier {
 public:
  explicit CrlVerifier(std::shared_ptr<Crl> crl) : crl_(std::move(crl)) {}
  bool Verify(gx::TlsCustomVerificationCheckRequest* req, std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    if (!crl_->IsRevokedPem(std::string(req->peer_cert().data(), req->peer_cert().size()))) {
      *sync_status = grpc::Status::OK;
      return true;
    }
    std::string cn(req->common_name().data(), req->common_name().size());
    SPDLOG_WARN("rejected connection (error \"tls: certificate revoked\", certificate CN \"{}\")",
                 cn);
    *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "tls: certificate revoked");
    return true;
  }
  void Cancel(gx::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::shared_ptr<Crl> crl_;
};

// --peer-cert-allowed-cn / --peer-cert-allowed-hostname, checked on every call of a connection
// whose certificate gRPC verified: a refused caller gets UNAUTHENTICATED with etcd's message
// (its sender logs it as the TLS rejection it stands for), and we log etcd's line.
class AllowedCertCheck final : public grpc::AuthMetadataProcessor {
 public:
  AllowedCertCheck(std::string cn, std::string hostname)
      : cn_(std::move(cn)), hostname_(std::move(hostname)) {}
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata&, grpc::AuthContext* ctx, OutputMetadata*,
                       OutputMetadata*) override {
    std::string cn = First(ctx, "x509_common_name");
    bool ok = !cn_.empty() ? cn == cn_ : MatchesHost(ctx);
    if (ok) return grpc::Status::OK;
    SPDLOG_WARN("rejected connection (error \"{}\", certificate CN \"{}\")", kAuthFailed, cn);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, kAuthFailed);
  }

 private:
  static std::string First(grpc::AuthContext* ctx, const char* name) {
    std::vector<grpc::string_ref> v = ctx->FindPropertyValues(name);
    return v.empty() ? "" : std::string(v[0].data(), v[0].size());
  }
  bool MatchesHost(grpc::AuthContext* ctx) const {
    return CertMatchesHost(First(ctx, "x509_pem_cert"), hostname_);
  }

  const std::string cn_;
  const std::string hostname_;
};

std::shared_ptr<gx::CertificateProviderInterface> Provider(const TlsInfo& info) {
  return std::make_shared<gx::FileWatcherCertificateProvider>(
      info.key_file, info.cert_file, info.trusted_ca_file, kCertRefreshSeconds);
}

}  // namespace

bool CertMatchesHost(const std::string& pem, const std::string& host) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return false;
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return false;
  if (X509_check_ip_asc(cert.get(), host.c_str(), 0) == 1) return true;
  return X509_check_host(cert.get(), host.data(), host.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                         nullptr) == 1;
}

[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const TlsInfo& info) {
  gx::TlsServerCredentialsOptions opts(Provider(info));
  opts.watch_identity_key_cert_pairs();
  if (!info.trusted_ca_file.empty()) opts.watch_root_certs();
  opts.set_cert_request_type(info.client_cert_auth
                                 ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                 : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  std::shared_ptr<Crl> crl;
  if (!info.crl_file.empty()) {
    absl::StatusOr<std::shared_ptr<Crl>> loaded = Crl::Load(info.crl_file);
    if (!loaded.ok()) return loaded.status();
    crl = std::move(*loaded);
  }
  if (crl)
    opts.set_certificate_verifier(
        gx::ExternalCertificateVerifier::Create<CrlVerifier>(std::move(crl)));
  std::shared_ptr<grpc::ServerCredentials> creds = gx::TlsServerCredentials(opts);
  if (creds == nullptr) return absl::InvalidArgumentError("cannot create TLS server credentials");
  if (!info.allowed_cn.empty() || !info.allowed_hostname.empty()) {
    creds->SetAuthMetadataProcessor(
        std::make_shared<AllowedCertCheck>(info.allowed_cn, info.allowed_hostname));
  }
  return creds;
}

std::shared_ptr<grpc::ChannelCredentials> GrpcChannelCredentials(const TlsInfo& info) {
  gx::TlsChannelCredentialsOptions opts;
  opts.set_certificate_provider(Provider(info));
  opts.watch_identity_key_cert_pairs();
  if (info.self_signed) {
    opts.set_verify_server_certs(false);
    opts.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
    opts.set_check_call_host(false);
  } else {
    opts.watch_root_certs();
  }
  return gx::TlsCredentials(opts);
}

std::string CallerCommonName(const grpc::ServerContextBase& ctx) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (!auth) return "";
  std::vector<grpc::string_ref> cn = auth->FindPropertyValues("x509_common_name");
  return cn.empty() ? "" : std::string(cn[0].data(), cn[0].size());
}

}  // namespace etcdpp::server::tls
