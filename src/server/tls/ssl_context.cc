#include "server/tls/ssl_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::tls {
namespace {

std::string LastError() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

// Chooses the server's protocol from the client's ALPN list (wire format).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr absl::string_view want = "http/1.1";
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == want.size() && std::memcmp(in + i + 1, want.data(), len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;  // go on without ALPN, as Go's server does
}

// With a CRL: a verified client certificate whose serial is listed is refused (bad_certificate).
int VerifyWithCrl(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok != 1 || X509_STORE_CTX_get_error_depth(store) != 0) return preverify_ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* crl = static_cast<Crl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (crl != nullptr && crl->IsRevoked(X509_STORE_CTX_get_current_cert(store))) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REVOKED);
    return 0;
  }
  return 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SslContextSource>> SslContextSource::Create(TlsInfo info) {
  std::unique_ptr<SslContextSource> s(new SslContextSource(std::move(info)));
  if (!s->info_.crl_file.empty()) {
    absl::StatusOr<std::shared_ptr<Crl>> crl = Crl::Load(s->info_.crl_file);
    if (!crl.ok()) return crl.status();
    s->crl_ = std::move(*crl);
  }
  absl::StatusOr<std::shared_ptr<SSL_CTX>> ctx = s->Build();
  if (!ctx.ok()) return ctx.status();
  MutexLock l(&s->mu_);
  s->ctx_ = std::move(*ctx);
  s->stamps_ = s->Stamps();
  s->checked_at_ = absl::Now();
  return s;
}

std::shared_ptr<SSL_CTX> SslContextSource::Get() {
  MutexLock l(&mu_);
  absl::Time now = absl::Now();
  if (now - checked_at_ < absl::Seconds(1)) return ctx_;
  checked_at_ = now;
  std::vector<time_t> stamps = Stamps();
  if (stamps == stamps_) return ctx_;
  absl::StatusOr<std::shared_ptr<SSL_CTX>> fresh = Build();
  if (!fresh.ok()) {
    SPDLOG_WARN("failed to reload certificates ({}); keeping the previous ones",
                 std::string(fresh.status().message()));
    return ctx_;
  }
  SPDLOG_INFO("reloaded TLS certificates from {}", info_.cert_file);
  stamps_ = std::move(stamps);
  ctx_ = std::move(*fresh);
  return ctx_;
}

std::vector<time_t> SslContextSource::Stamps() const {
  std::vector<time_t> out;
  for (const std::string* f : {&info_.cert_file, &info_.key_file, &info_.trusted_ca_file}) {
    struct stat st {};
    out.push_back(!f->empty() && stat(f->c_str(), &st) == 0
                      ? st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec
                      : 0);
  }
  return out;
}

// Note: the TLS 1.2 cipher list and versions follow --cipher-suites / --tls-min-version /
// --tls-max-version; etcd's floor is TLS 1.2.
absl::StatusOr<std::shared_ptr<SSL_CTX>> SslContextSource::Build() const {
  RETURN_NOT_OK(CheckFiles(info_));
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  SSL_CTX* c = ctx.get();
  auto fail = [](const std::string& what) {
    return absl::InvalidArgumentError(what + ": " + LastError());
  };
  SSL_CTX_set_min_proto_version(c, info_.min_version ? info_.min_version : TLS1_2_VERSION);
  if (info_.max_version) SSL_CTX_set_max_proto_version(c, info_.max_version);
  if (SSL_CTX_use_certificate_chain_file(c, info_.cert_file.c_str()) != 1) {
    return fail(absl::StrCat(info_.Flag("cert-file"), " ", info_.cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(c, info_.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    return fail(absl::StrCat(info_.Flag("key-file"), " ", info_.key_file));
  }
  if (!info_.cipher_list.empty() && SSL_CTX_set_cipher_list(c, info_.cipher_list.c_str()) != 1) {
    return fail(absl::StrCat("--cipher-suites: no usable cipher in ", info_.cipher_list));
  }
  if (!info_.trusted_ca_file.empty() &&
      SSL_CTX_load_verify_locations(c, info_.trusted_ca_file.c_str(), nullptr) != 1) {
    return fail(absl::StrCat(info_.Flag("trusted-ca-file"), " ", info_.trusted_ca_file));
  }
  if (info_.client_cert_auth) {
    SSL_CTX_set_app_data(c, crl_.get());
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, VerifyWithCrl);
  }
  SSL_CTX_set_alpn_select_cb(c, SelectAlpn, nullptr);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
  static const unsigned char kSid[] = "etcdpp";
  SSL_CTX_set_session_id_context(c, kSid, sizeof(kSid) - 1);
  return ctx;
}

}  // namespace etcdpp::server::tls
