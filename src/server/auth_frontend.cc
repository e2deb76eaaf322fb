#include "server/auth_frontend.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/errors.h"
#include "auth/simple_tokens.h"
#include "common/env.h"
#include "server/tls/grpc_credentials.h"

namespace etcdpp::server {
namespace {

// bcrypt workers: enough to keep logins flowing, few enough that a burst of them cannot starve
// the member's other threads; the queue bounds what waits.
constexpr size_t kPasswordWorkers = 2;
constexpr size_t kPasswordQueue = 256;

// The first value of metadata `key`, or nullopt.
std::optional<std::string_view> Metadata(const grpc::ServerContextBase& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

absl::Time Now() { return absl::FromUnixMicros(Env::Default()->WallMicros()); }

}  // namespace

AuthFrontend::AuthFrontend(const Config& cfg, Deps d)
    : d_(std::move(d)),
      client_cert_auth_(cfg.client_tls.client_cert_auth),
      bcrypt_cost_(cfg.bcrypt_cost),
      pool_("auth-bcrypt", kPasswordWorkers, kPasswordQueue) {}

AuthFrontend::~AuthFrontend() { Stop(); }

absl::StatusOr<std::unique_ptr<AuthFrontend>> AuthFrontend::Create(const Config& cfg, Deps d) {
  std::unique_ptr<AuthFrontend> f(new AuthFrontend(cfg, std::move(d)));
  if (cfg.auth_token != "simple") {
    // "jwt,pub-key=...,priv-key=...,sign-method=...,ttl=..."
    std::string_view opts = cfg.auth_token;
    opts.remove_prefix(std::min<size_t>(opts.size(), 4));  // "jwt,"
    absl::StatusOr<std::unique_ptr<auth::JwtProvider>> jwt = auth::JwtProvider::Create(opts);
    if (!jwt.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--auth-token: ", jwt.status().message()));
    }
    f->jwt_ = *std::move(jwt);
  }
  return f;
}

void AuthFrontend::Start() { pool_.Start(); }
void AuthFrontend::Stop() { pool_.Stop(); }

std::optional<auth::AuthInfo> AuthFrontend::FromToken(std::string_view token) {
  const auth::AuthStore& store = *d_.store;
  if (jwt_ != nullptr) {
    // etcd checks JWTs even while auth is off, and they carry their own auth revision.
    std::optional<auth::TokenInfo> t = jwt_->Verify(token, Now());
    if (!t.has_value()) return std::nullopt;
    return auth::AuthInfo{std::move(t->username), t->revision};
  }
  std::optional<uint64_t> index = auth::SimpleTokens::IndexOf(token);
  if (!index.has_value()) return std::nullopt;
  auth::SimpleTokens& tokens = d_.store->simple_tokens();
  std::optional<std::string> user = tokens.Lookup(token, Now());
  // A token made by another member whose Authenticate entry is not applied here yet: wait a
  // little for it (etcd waits for the index without a bound).
  for (int i = 0; !user.has_value() && i < 100 && d_.applied_index() < *index; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    user = tokens.Lookup(token, Now());
  }
  if (!user.has_value()) return std::nullopt;
  return auth::AuthInfo{*std::move(user), store.revision()};
}

absl::StatusOr<std::optional<auth::AuthInfo>> AuthFrontend::Identify(
    const grpc::ServerContextBase& ctx) {
  std::optional<std::string_view> token = Metadata(ctx, "token");
  if (!token.has_value()) token = Metadata(ctx, "authorization");
  if (token.has_value()) {
    std::optional<auth::AuthInfo> ai = FromToken(*token);
    if (!ai.has_value()) return auth::ErrInvalidAuthToken();
    return ai;
  }
  if (!client_cert_auth_) return std::nullopt;
  // etcd's AuthInfoFromTLS: the verified certificate's CN, except for calls the JSON gateway
  // makes on a client's behalf (it marks them with Grpcgateway-Accept).
  if (Metadata(ctx, "grpcgateway-accept").has_value()) return std::nullopt;
  std::string cn = tls::CallerCommonName(ctx);
  if (cn.empty()) return std::nullopt;
  return auth::AuthInfo{std::move(cn), d_.store->revision()};
}

absl::StatusOr<std::string> AuthFrontend::SignToken(const std::string& user, uint64_t revision) {
  if (jwt_ == nullptr) return absl::FailedPreconditionError("jwt tokens are not configured");
  return jwt_->Sign(user, revision, Now());
}

}  // namespace etcdpp::server
