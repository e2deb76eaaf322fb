#pragma once
// SslContextSource: the OpenSSL server context for the TLS connections the client port
// terminates itself (HTTP/1.1: the JSON gateway, /health, /metrics, /version). It is rebuilt
// when the certificate, key, CA or CRL file changes on disk (checked at most once a second, on
// a new connection), so rotated certificates are picked up without a restart, as etcd re-reads
// them per handshake. A rebuild that fails keeps the previous context and logs why. The CRL
// (--client-crl-file) is checked by serial as etcd does (crl.h) and re-read on its own.

#include <openssl/ssl.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "server/tls/crl.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server::tls {

class SslContextSource {
 public:
  // The context selects ALPN "http/1.1" (or none), the one protocol this side speaks.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SslContextSource>> Create(TlsInfo info);

  // The current context (any thread).
  std::shared_ptr<SSL_CTX> Get();

 private:
  explicit SslContextSource(TlsInfo info) : info_(std::move(info)) {}
  [[nodiscard]] absl::StatusOr<std::shared_ptr<SSL_CTX>> Build() const;
  std::vector<time_t> Stamps() const;

  const TlsInfo info_;
  std::shared_ptr<Crl> crl_;  // set in Create; the contexts point at it

  Mutex mu_;
  std::shared_ptr<SSL_CTX> ctx_ ABSL_GUARDED_BY(mu_);
  std::vector<time_t> stamps_ ABSL_GUARDED_BY(mu_);
  absl::Time checked_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server::tls
