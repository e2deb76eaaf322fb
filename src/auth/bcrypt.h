#pragma once
// bcrypt through the system's libcrypt (libxcrypt: crypt_gensalt_rn / crypt_rn), the "$2a$" /
// "$2b$" hashes etcd's Go bcrypt writes and reads. Slow by design (2^cost rounds): callers run
// it on a worker pool, never on the raft, apply or gRPC polling threads.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace etcdpp::auth {

inline constexpr int kDefaultBcryptCost = 10;  // etcd's --bcrypt-cost default
inline constexpr int kMinBcryptCost = 4;
inline constexpr int kMaxBcryptCost = 31;

// A new "$2b$<cost>$..." hash of `password` with a fresh random salt. Go's bcrypt refuses
// passwords longer than 72 bytes only since Go 1.22; etcd 3.4 hashes their first 72 bytes,
// as libxcrypt does.
[[nodiscard]] absl::StatusOr<std::string> BcryptHash(std::string_view password, int cost);

// True if `password` matches `hash` (any "$2a$", "$2b$" or "$2y$" bcrypt hash).
bool BcryptVerify(std::string_view password, std::string_view hash);

}  // namespace etcdpp::auth
