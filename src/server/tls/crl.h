#pragma once
// Crl: the revocation list of --client-crl-file / --peer-crl-file. As etcd does, a certificate
// is refused when its serial number is listed; the CRL's own signature and dates are not
// checked (etcd's checkCRL compares serials only, so an expired CRL keeps working). The file is
// re-read when it changes on disk (checked at most once a second).

#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace etcdpp::server::tls {

class Crl {
 public:
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<Crl>> Load(std::string path);

  bool IsRevoked(X509* cert);
  bool IsRevokedPem(const std::string& pem);

 private:
  explicit Crl(std::string path) : path_(std::move(path)) {}
  [[nodiscard]] absl::Status Reload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  Mutex mu_;
  std::set<std::string> serials_ ABSL_GUARDED_BY(mu_);  // hex
  int64_t mtime_ ABSL_GUARDED_BY(mu_) = -1;
  absl::Time checked_at_ ABSL_GUARDED_BY(mu_);
};

// Reads a PEM or DER CRL file.
[[nodiscard]] absl::StatusOr<X509_CRL*> ReadCrlFile(const std::string& path);

}  // namespace etcdpp::server::tls
