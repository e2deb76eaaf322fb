#pragma once
// JWT auth tokens: etcd's `--auth-token jwt,...` provider (etcd auth/jwt.go, auth/options.go).
//
// A token is a JWS in compact form, `header.claims.signature`, each part base64url without
// padding (auth/jwt_codec.h):
//   header  {"alg":"RS256","typ":"JWT"}
//   claims  {"exp":1700000300,"revision":42,"username":"alice"}   (members in this order, as
//           etcd's Go signer writes them; readers take any order)
// `exp` is unix seconds, the signing time plus the ttl, rounded down. A token is valid while
// now < exp, compared in whole seconds, as etcd's Go library checks it.
//
// Verification accepts a token only when every part decodes strictly, the header is a JSON
// object whose "alg" is this provider's method exactly (no "none", no other family: the
// algorithm is fixed by configuration, never taken from the token) and that has no "crit";
// the signature verifies; and the claims are a JSON object with a string "username", a
// non-negative integer "revision" (digits only, at most 2^64-1) and a numeric "exp" after now.
// "nbf" and "iat", when present, must be numbers not after now (as etcd's library checks).
// Other claims are allowed and ignored. Any other input (empty, no dots, bad base64, bad JSON,
// longer than kMaxJwtTokenBytes) is refused with nullopt; nothing here throws or aborts.
//
// Members share the key files, so a token signed by one member verifies on every member with
// the same pub-key. Tokens carry no server-side state: nothing is kept per token.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/env.h"

namespace etcdpp::auth {

class JwtKey;

// The error id of Sign's FailedPrecondition on a member that has only the public key.
inline constexpr char kJwtVerifyOnlyErrorId[] = "auth:jwt-verify-only";
// Longer tokens are refused unread (etcd's are a few hundred bytes; gRPC metadata is smaller).
inline constexpr size_t kMaxJwtTokenBytes = 64 * 1024;
// The ttl when the options name none (etcd's DefaultTTL).
inline constexpr absl::Duration kDefaultJwtTtl = absl::Minutes(5);

struct TokenInfo {
  std::string username;
  uint64_t revision = 0;
};

// Thread-safe: Sign and Verify may be called concurrently from any thread.
class JwtProvider {
 public:
  // `opts`: etcd's --auth-token value after "jwt,": key=value pairs separated by ',':
  //   sign-method  required: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA, HS256/384/512
  //   pub-key      a PEM public key or certificate file: verifies tokens
  //   priv-key     a PEM private key file: signs and verifies (HS*: the file's bytes are the
  //                secret; a pub-key is then read but not used, as etcd)
  //   ttl          a Go duration ("5m", "1h30m", "300ms"), > 0; default 5m
  // As etcd: an empty value counts as not given; a pair without exactly one '=' or a repeated
  // key is refused. Unlike etcd (which only warns), an unknown key is refused. With only
  // pub-key the provider verifies but does not sign. Errors are InvalidArgument and name the
  // option and, for files, the path and what is wrong with it.
  static absl::StatusOr<std::unique_ptr<JwtProvider>> Create(std::string_view opts);
  // As above, reading key files through `env`, which must outlive the call only.
  static absl::StatusOr<std::unique_ptr<JwtProvider>> Create(std::string_view opts, Env* env);
  ~JwtProvider();

  // A signed token for `username` at auth `revision`, expiring at now + ttl.
  // FailedPrecondition "auth: token signing attempted with verify-only key" (kJwtVerifyOnlyErrorId)
  // when only the public key was given; InvalidArgument when `username` is not UTF-8.
  absl::StatusOr<std::string> Sign(std::string_view username, uint64_t revision,
                                   absl::Time now) const;
  // The claims of `token` if it is valid at `now` (see the file comment); nullopt otherwise.
  std::optional<TokenInfo> Verify(std::string_view token, absl::Time now) const;

  bool verify_only() const;
  absl::Duration ttl() const { return ttl_; }
  // The configured sign-method ("RS256", ...).
  std::string_view sign_method() const;

 private:
  JwtProvider(std::unique_ptr<JwtKey> key, absl::Duration ttl);

  // Constant after construction.
  const std::unique_ptr<JwtKey> key_;
  const absl::Duration ttl_;
  const std::string encoded_header_;  // base64url of {"alg":...,"typ":"JWT"}
};

}  // namespace etcdpp::auth
