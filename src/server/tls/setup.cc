#include "server/tls/setup.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "server/tls/self_cert.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::tls {
namespace {

bool AnyHttps(const std::vector<Url>& urls) {
  for (const Url& u : urls) {
    if (u.scheme == "https") return true;
  }
  return false;
}

[[nodiscard]] absl::Status AutoCert(const std::string& dir, const std::vector<Url>& urls,
                                    TlsInfo* info) {
  if (!info->auto_tls) return absl::OkStatus();
  if (!info->cert_file.empty() || !info->key_file.empty()) {
    SPDLOG_WARN("ignoring {}auto TLS since certs given",
                 info->flag_prefix.empty() ? "client " : "peer ");
    return absl::OkStatus();
  }
  std::vector<std::string> hosts;
  for (const Url& u : urls) hosts.push_back(u.host);
  absl::StatusOr<TlsInfo> self = SelfCert(dir, hosts);
  if (!self.ok()) return self.status();
  info->cert_file = self->cert_file;
  info->key_file = self->key_file;
  info->self_signed = true;
  return absl::OkStatus();
}

[[nodiscard]] absl::Status Finish(const std::vector<Url>& urls, const std::string& url_kind,
                                  TlsInfo* info) {
  if (!info->cert_file.empty() || !info->key_file.empty()) return CheckFiles(*info);
  for (const Url& u : urls) {
    if (u.scheme != "https") continue;
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS key/cert (", info->Flag("cert-file"), ", ", info->Flag("key-file"),
        ") must be provided for ", url_kind, " url ", u.ToString(), " with HTTPS scheme"));
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status PrepareTls(Config* cfg) {
  std::string ciphers;
  if (!cfg->cipher_suites.empty()) {
    absl::StatusOr<std::string> list = OpenSslCipherList(cfg->cipher_suites);
    if (!list.ok()) return list.status();
    ciphers = *list;
    if (!ciphers.empty()) setenv("GRPC_SSL_CIPHER_SUITES", ciphers.c_str(), 1);
  }
  absl::StatusOr<int> min = ParseTlsVersion("tls-min-version", cfg->tls_min_version);
  if (!min.ok()) return min.status();
  absl::StatusOr<int> max = ParseTlsVersion("tls-max-version", cfg->tls_max_version);
  if (!max.ok()) return max.status();
  if (*min && *max && *min > *max) {
    return absl::InvalidArgumentError(
        "--tls-min-version must be less than or equal to --tls-max-version");
  }
  for (TlsInfo* info : {&cfg->client_tls, &cfg->peer_tls}) {
    info->cipher_list = ciphers;
    info->min_version = *min;
    info->max_version = *max;
  }
  absl::Status st =
      AutoCert(cfg->data_dir + "/fixtures/client", cfg->listen_client_urls, &cfg->client_tls);
  if (st.ok())
    st = AutoCert(cfg->data_dir + "/fixtures/peer", cfg->listen_peer_urls, &cfg->peer_tls);
  if (st.ok()) st = Finish(cfg->listen_client_urls, "client", &cfg->client_tls);
  if (st.ok()) st = Finish(cfg->listen_peer_urls, "peer", &cfg->peer_tls);
  if (st.ok() && AnyHttps(cfg->listen_client_urls) && cfg->client_tls.client_cert_auth &&
      cfg->client_tls.trusted_ca_file.empty()) {
    SPDLOG_WARN(
        "--client-cert-auth without --trusted-ca-file: no client certificate can be verified");
  }
  return st;
}

}  // namespace etcdpp::server::tls
