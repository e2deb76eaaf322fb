#include "auth/bcrypt.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace etcdpp::auth {

absl::StatusOr<std::string> BcryptHash(std::string_view password, int cost) {
  if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
    return absl::InvalidArgumentError(absl::StrCat("invalid bcrypt cost ", cost));
  }
  if (password.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("a password must not contain a NUL byte");
  }
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) return absl::InternalError("no random bytes");
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost),
                       reinterpret_cast<const char*>(random), sizeof random, setting,
                       sizeof setting) == nullptr) {
    return absl::InternalError("crypt_gensalt_rn failed for bcrypt");
  }
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), setting, data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(pw.data(), pw.size());
  if (out == nullptr || out[0] == '*') return absl::InternalError("bcrypt hashing failed");
  return std::string(out);
}

bool BcryptVerify(std::string_view password, std::string_view hash) {
  if (hash.size() < 7 || hash[0] != '$' || hash[1] != '2') return false;
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  std::string h(hash);
  const char* out = crypt_rn(pw.c_str(), h.c_str(), data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(pw.data(), pw.size());
  if (out == nullptr || out[0] == '*') return false;
  std::string_view got(out);
  return got.size() == hash.size() && CRYPTO_memcmp(got.data(), hash.data(), hash.size()) == 0;
}

}  // namespace etcdpp::auth
