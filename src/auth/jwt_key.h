#pragma once
// The JWS signature algorithms etcd accepts for --auth-token jwt (RFC 7518 section 3, and
// RFC 8037 for EdDSA) and the key that signs and verifies with one of them. OpenSSL does the
// cryptography; this file holds the parts JWT fixes on top of it:
//   RS*: RSASSA-PKCS1-v1_5.  PS*: RSASSA-PSS with MGF1 of the same hash; signing uses a salt as
//        long as the hash, verifying accepts any salt length (as etcd's Go library does).
//   ES*: ECDSA on the curve the name fixes (P-256, P-384, P-521); the signature is R || S, each
//        big-endian and left-padded to the curve's byte size (66 for P-521), not DER.
//   EdDSA: Ed25519 (etcd 3.6; Ed448 is not accepted, as there).
//   HS*: HMAC; the secret is the priv-key file's bytes as they are, and verification compares
//        in constant time.
//
// Key files are PEM. The first block whose label fits the role is used (others, such as an
// "EC PARAMETERS" block before the key, are passed over):
//   priv-key: "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC 1).
//             Encrypted keys are refused (etcd has no passphrase option).
//   pub-key:  "PUBLIC KEY" (X.509 SubjectPublicKeyInfo), "RSA PUBLIC KEY" (PKCS#1), or
//             "CERTIFICATE" (its subject key: etcd's own tests give server.crt as pub-key).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "absl/status/statusor.h"
#include "common/env.h"

namespace etcdpp::auth {

struct JwtAlgorithm {
  enum class Family { kRsa, kRsaPss, kEcdsa, kEd25519, kHmac };
  std::string_view name;  // the JWS "alg" value and etcd's sign-method
  Family family;
  const EVP_MD* (*digest)();     // nullptr for Ed25519 (it hashes internally)
  std::string_view curve;        // kEcdsa: the OpenSSL group name ("prime256v1", ...)
  int ecdsa_component_size = 0;  // kEcdsa: the byte length of R and of S
};

struct EvpPkeyFree {
  void operator()(EVP_PKEY* pkey) const;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// The algorithm named `name` exactly (case-sensitive, as the Go library), or nullptr.
const JwtAlgorithm* FindJwtAlgorithm(std::string_view name);
// "RS256, RS384, ..., HS512": for error messages.
std::string JwtAlgorithmNames();

// The key material of one provider. Thread-safe: Sign and Verify may run concurrently (each
// call makes its own OpenSSL contexts; the keys are only read).
class JwtKey {
 public:
  // Reads and checks the key files for `alg`; an empty path means "not given". Errors are
  // InvalidArgument and name the option and the file: unreadable, no PEM key of the kind `alg`
  // needs, an ECDSA key on another curve, a pub-key that is not the priv-key's pair, or a key
  // that cannot make a signature this algorithm verifies (an RSA key too short for PS512).
  static absl::StatusOr<std::unique_ptr<JwtKey>> Load(const JwtAlgorithm& alg,
                                                      const std::string& pub_key_path,
                                                      const std::string& priv_key_path, Env* env);
  JwtKey(const JwtKey&) = delete;
  JwtKey& operator=(const JwtKey&) = delete;

  const JwtAlgorithm& algorithm() const { return alg_; }
  bool can_sign() const { return can_sign_; }
  // The JWS signature of `input`; nullopt when this key cannot sign or OpenSSL fails.
  std::optional<std::string> Sign(std::string_view input) const;
  bool Verify(std::string_view input, std::string_view signature) const;

 private:
  JwtKey(const JwtAlgorithm& alg, EvpPkeyPtr pkey, std::string hmac_secret, bool can_sign);
  std::optional<std::string> SignHmac(std::string_view input) const;
  std::optional<std::string> SignPkey(std::string_view input) const;
  bool VerifyPkey(std::string_view input, std::string_view signature) const;

  // Constant after construction.
  const JwtAlgorithm& alg_;
  const EvpPkeyPtr pkey_;  // the private key when there is one, else the public one; null for HMAC
  const std::string hmac_secret_;
  const bool can_sign_;
};

}  // namespace etcdpp::auth
