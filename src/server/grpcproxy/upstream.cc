#include "server/grpcproxy/upstream.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/support/channel_arguments.h"
#include "server/log/zap_log.h"
#include "server/tls/tls_info.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::grpcproxy {
namespace gx = grpc::experimental;

namespace {

absl::StatusOr<std::string> Read(const std::string& path) {
  absl::StatusOr<std::string> text = Env::Default()->ReadFileToString(path);
  if (!text.ok())
    return absl::InvalidArgumentError(absl::StrCat("open ", path, ": ", text.status().message()));
  return text;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MemberCredentials(const MemberTls& tls) {
  if (!tls.Enabled()) return std::shared_ptr<grpc::ChannelCredentials>();
  std::string cert, key, ca;
  if (!tls.cert.empty() || !tls.key.empty()) {
    absl::StatusOr<std::string> c = Read(tls.cert);
    if (!c.ok()) return c.status();
    absl::StatusOr<std::string> k = Read(tls.key);
    if (!k.ok()) return k.status();
    cert = std::move(*c);
    key = std::move(*k);
    if (std::string cn = tls::CommonNameOfPem(cert); !cn.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("cert has non empty Common Name (", cn, ")"));
    }
  }
  if (!tls.cacert.empty()) {
    absl::StatusOr<std::string> c = Read(tls.cacert);
    if (!c.ok()) return c.status();
    ca = std::move(*c);
  }
  if (tls.insecure_skip_verify) {
    gx::TlsChannelCredentialsOptions opts;
    if (!cert.empty()) {
      opts.set_certificate_provider(std::make_shared<gx::StaticDataCertificateProvider>(
          std::vector<gx::IdentityKeyCertPair>{{key, cert}}));
      opts.watch_identity_key_cert_pairs();
    }
    opts.set_verify_server_certs(false);
    opts.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
    opts.set_check_call_host(false);
    return gx::TlsCredentials(opts);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca;  // "": the system's roots
  ssl.pem_private_key = key;
  ssl.pem_cert_chain = cert;
  return grpc::SslCredentials(ssl);
}

std::string ChannelTarget(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, "unix://")) return absl::StrCat("unix:", endpoint.substr(7));
  if (absl::StartsWith(endpoint, "unixs://")) return absl::StrCat("unix:", endpoint.substr(8));
  for (const char* scheme : {"http://", "https://"}) {
    if (absl::StartsWith(endpoint, scheme)) {
      std::string rest = endpoint.substr(std::string(scheme).size());
      return rest.substr(0, rest.find('/'));
    }
  }
  return endpoint;
}

absl::StatusOr<std::unique_ptr<Upstream>> Upstream::Open(Options opts) {
  if (opts.endpoints.empty())
    return absl::InvalidArgumentError("etcdclient: no available endpoints");
  std::unique_ptr<Upstream> up(new Upstream());
  up->endpoints_ = opts.endpoints;
  for (const std::string& ep : opts.endpoints) {
    grpc::ChannelArguments args;
    if (opts.max_send_bytes > 0) args.SetMaxSendMessageSize(opts.max_send_bytes);
    if (opts.max_recv_bytes > 0) args.SetMaxReceiveMessageSize(opts.max_recv_bytes);
    // A restarted member is tried again within seconds, not gRPC's default two minutes.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 500);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
    // A member that vanishes without closing the connection is noticed while calls are open.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    // Separate channels must not share one connection (gRPC pools subchannels by default).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    std::shared_ptr<grpc::ChannelCredentials> creds = opts.creds;
    const bool tls =
        !absl::StartsWith(ep, "http://") && (creds != nullptr || absl::StartsWith(ep, "https://"));
    if (!tls) {
      creds = grpc::InsecureChannelCredentials();
    } else if (!creds) {
      creds = grpc::SslCredentials(grpc::SslCredentialsOptions());
    }
    // A discovered target keeps DNS's trailing dot ("m0.example.com.:2379"); the certificate
    // names the host without it (Go's crypto/tls drops it too).
    const std::string target = ChannelTarget(ep);
    const std::string host = target.substr(0, target.rfind(':'));
    if (tls && absl::EndsWith(host, ".")) {
      args.SetSslTargetNameOverride(host.substr(0, host.size() - 1));
    }
    up->channels_.push_back(grpc::CreateCustomChannel(target, creds, args));
  }
  up->channels_.front()->GetState(/*try_to_connect=*/true);
  return up;
}

std::shared_ptr<grpc::Channel> Upstream::Pick() {
  MutexLock l(&mu_);
  const size_t n = channels_.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t at = (current_ + i) % n;
    grpc_connectivity_state st = channels_[at]->GetState(/*try_to_connect=*/true);
    if (st != GRPC_CHANNEL_TRANSIENT_FAILURE && st != GRPC_CHANNEL_SHUTDOWN) {
      current_ = at;
      return channels_[at];
    }
  }
  return channels_[current_];
}

void Upstream::Failed(const std::shared_ptr<grpc::Channel>& ch, const char* why) {
  MutexLock l(&mu_);
  if (channels_[current_] != ch || channels_.size() == 1) return;
  const size_t next = (current_ + 1) % channels_.size();
  SPDLOG_WARN(
      "{}",
      log::With(why,
                log::Fields().Str("endpoint", endpoints_[current_]).Str("next", endpoints_[next])));
  current_ = next;
}

std::string Upstream::current_endpoint() {
  MutexLock l(&mu_);
  return endpoints_[current_];
}

}  // namespace etcdpp::server::grpcproxy
