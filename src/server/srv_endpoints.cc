#include "server/srv_endpoints.h"

#include <netdb.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/env.h"
#include "common/go_text.h"
#include "server/log/zap_log.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace {

constexpr int kDialTimeoutSeconds = 5;  // ValidateSecureEndpoints' transport timeout

// A blocking TCP connection to host:port with every socket operation bounded by the dial
// timeout; -1 with the reason in *why.
int Connect(const std::string& host, int port, std::string* why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
    *why = absl::StrCat("dial tcp: lookup ", host, ": ", gai_strerror(rc));
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(res, &freeaddrinfo);
  *why = "no address";
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    timeval tv{kDialTimeoutSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // bounds connect() too
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    *why = absl::StrCat("dial tcp ", JoinHostPort(host, port), ": connect: ", strerror(errno));
    close(fd);
  }
  return -1;
}

// The TLS handshake on fd, verifying the chain against ca_pem and the certificate against host.
absl::Status Handshake(int fd, const std::string& host, const std::string& ca_pem) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (!ctx) return absl::InternalError("cannot create a TLS context");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())), BIO_free);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    added += X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  ERR_clear_error();  // the end of the PEM data
  if (added == 0) return absl::InvalidArgumentError("no certificate in the trusted CA file");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
    SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  if (SSL_connect(ssl.get()) == 1) {
    SSL_shutdown(ssl.get());
    return absl::OkStatus();
  }
  const long verify = SSL_get_verify_result(ssl.get());
  if (verify != X509_V_OK) {
    return absl::UnavailableError(
        absl::StrCat("x509: ", X509_verify_cert_error_string(verify), " (for ", host, ")"));
  }
  const unsigned long err = ERR_get_error();
  char text[256] = "TLS handshake failed";
  if (err != 0) ERR_error_string_n(err, text, sizeof text);
  return absl::UnavailableError(text);
}

}  // namespace

absl::Status DialEndpoint(const std::string& target, int port, const std::string& ca_pem) {
  const std::string host(absl::StripSuffix(target, "."));
  std::string why;
  const int fd = Connect(host, port, &why);
  if (fd < 0) return absl::UnavailableError(why);
  absl::Status st = ca_pem.empty() ? absl::OkStatus() : Handshake(fd, host, ca_pem);
  close(fd);
  return st;
}

absl::StatusOr<SrvClients> DiscoverClientEndpoints(const ClientDiscovery& d,
                                                   const SrvLookupFn& lookup,
                                                   const EndpointCheck& check) {
  if (d.domain.empty()) return SrvClients{};
  absl::StatusOr<SrvClients> found = GetSrvClients("etcd-client", d.domain, d.service_name, lookup);
  if (!found.ok()) return found.status();
  SPDLOG_INFO(
      "{}",
      log::With("discovered cluster from SRV",
                log::Fields().Str("srv-server", d.domain).Strs("endpoints", found->endpoints)));
  if (d.insecure) return found;
  std::string ca_pem;
  if (!d.trusted_ca_file.empty()) {
    absl::StatusOr<std::string> ca = Env::Default()->ReadFileToString(d.trusted_ca_file);
    if (!ca.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("open ", d.trusted_ca_file, ": ", ca.status().message()));
    }
    ca_pem = std::move(*ca);
  }
  SPDLOG_INFO(
      "{}",
      log::With("validating discovered SRV endpoints",
                log::Fields().Str("srv-server", d.domain).Strs("endpoints", found->endpoints)));
  SrvClients valid;
  std::vector<std::string> errs;
  for (size_t i = 0; i < found->endpoints.size(); ++i) {
    const std::string& ep = found->endpoints[i];
    const SrvRecord& rec = found->records[i];
    if (!absl::StartsWith(ep, "https://")) {
      errs.push_back(absl::StrCat(GoQuote(ep), " is insecure"));
      continue;
    }
    if (absl::Status st = check(rec.target, rec.port, ca_pem); !st.ok()) {
      errs.push_back(absl::StrCat(GoQuote(ep), " failed to dial (", st.message(), ")"));
      continue;
    }
    valid.endpoints.push_back(ep);
    valid.records.push_back(rec);
  }
  log::Fields f;
  f.Str("srv-server", d.domain).Strs("endpoints", valid.endpoints);
  if (errs.empty()) {
    SPDLOG_INFO("{}", log::With("using validated discovered SRV endpoints", f));
  } else {
    f.Str("error", absl::StrJoin(errs, ","));
    SPDLOG_WARN("{}", log::With("failed to validate discovered endpoints", f));
  }
  return valid;
}

}  // namespace etcdpp::server
