#include "server/tls/crl.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::tls {
namespace {

std::string SerialHex(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

int64_t MtimeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
}

}  // namespace

[[nodiscard]] absl::StatusOr<X509_CRL*> ReadCrlFile(const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("open ", path, ": cannot read the file"));
  }
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
  if (crl == nullptr) {
    ERR_clear_error();
    (void)BIO_reset(bio);
    crl = d2i_X509_CRL_bio(bio, nullptr);
  }
  BIO_free(bio);
  ERR_clear_error();
  if (crl == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot parse the CRL"));
  return crl;
}

absl::StatusOr<std::shared_ptr<Crl>> Crl::Load(std::string path) {
  std::shared_ptr<Crl> c(new Crl(std::move(path)));
  MutexLock l(&c->mu_);
  if (absl::Status st = c->Reload(); !st.ok()) return st;
  c->checked_at_ = absl::Now();
  return c;
}

absl::Status Crl::Reload() {
  int64_t mtime = MtimeOf(path_);
  absl::StatusOr<X509_CRL*> crl = ReadCrlFile(path_);
  if (!crl.ok()) return crl.status();
  std::set<std::string> serials;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(*crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    serials.insert(SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
  }
  X509_CRL_free(*crl);
  serials_ = std::move(serials);
  mtime_ = mtime;
  return absl::OkStatus();
}

bool Crl::IsRevoked(X509* cert) {
  std::string serial = SerialHex(X509_get0_serialNumber(cert));
  MutexLock l(&mu_);
  absl::Time now = absl::Now();
  if (now - checked_at_ >= absl::Seconds(1)) {
    checked_at_ = now;
    if (MtimeOf(path_) != mtime_) {
      if (absl::Status st = Reload(); !st.ok())
        SPDLOG_WARN("cannot reload CRL: {}", std::string(st.message()));
    }
  }
  return serials_.count(serial) > 0;
}

bool Crl::IsRevokedPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) {
    ERR_clear_error();
    return false;
  }
  bool revoked = IsRevoked(cert);
  X509_free(cert);
  return revoked;
}

}  // namespace etcdpp::server::tls
