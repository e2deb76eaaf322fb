#pragma once
// AuthFrontend: the member's side of auth that is not applied state (the AuthView of
// api/v3rpc/views.h): who a call is (its token or its client certificate), the token
// providers (simple tokens registered by the applier; JWT signed and verified here), and the
// small pool bcrypt runs on.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/jwt.h"
#include "auth/store.h"
#include "common/bounded_executor.h"
#include "server/api/v3rpc/views.h"
#include "server/config.h"

namespace etcdpp::server {

class AuthFrontend final : public AuthView {
 public:
  struct Deps {
    auth::AuthStore* store = nullptr;  // not owned
    // The applied index (a simple token names the index of its Authenticate entry; a member
    // that has not applied it yet waits briefly).
    std::function<uint64_t()> applied_index;
  };
  // Checks --auth-token (a JWT configuration's keys and options; errors name the flag and the
  // file).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AuthFrontend>> Create(const Config& cfg,
                                                                            Deps d);
  ~AuthFrontend() override;

  void Start();
  void Stop();

  const auth::AuthStore& store() const override { return *d_.store; }
  absl::StatusOr<std::optional<auth::AuthInfo>> Identify(
      const grpc::ServerContextBase& ctx) override;
  absl::Status RunSlow(std::function<void()> fn) override { return pool_.Submit(std::move(fn)); }
  int bcrypt_cost() const override { return bcrypt_cost_; }
  absl::StatusOr<std::string> SignToken(const std::string& user, uint64_t revision) override;
  bool uses_simple_tokens() const override { return jwt_ == nullptr; }

 private:
  AuthFrontend(const Config& cfg, Deps d);
  [[nodiscard]] std::optional<auth::AuthInfo> FromToken(std::string_view token);

  const Deps d_;
  const bool client_cert_auth_;
  const int bcrypt_cost_;
  std::unique_ptr<auth::JwtProvider> jwt_;  // null: simple tokens
  BoundedExecutor pool_;
};

}  // namespace etcdpp::server
