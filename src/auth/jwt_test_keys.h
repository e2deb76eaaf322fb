#pragma once
// Test keys for the JWT tests, made with OpenSSL at run time and written as PEM files into one
// temporary directory per test process (removed at exit). Key generation is slow for RSA, so
// the keys of FilesFor are made once per process and shared.

#include <string>
#include <string_view>

#include "auth/jwt_key.h"

namespace etcdpp::auth::testkeys {

// "RSA" (2048 bits), "P-256", "P-384", "P-521", "ED25519".
EvpPkeyPtr Generate(std::string_view kind);

std::string PrivatePkcs8Pem(EVP_PKEY* key);        // PRIVATE KEY
std::string PrivateTraditionalPem(EVP_PKEY* key);  // RSA PRIVATE KEY / EC PRIVATE KEY
std::string EncryptedPrivatePem(EVP_PKEY* key);    // ENCRYPTED PRIVATE KEY
std::string PublicPem(EVP_PKEY* key);              // PUBLIC KEY
std::string RsaPublicPem(EVP_PKEY* key);           // RSA PUBLIC KEY (PKCS#1)
std::string CertificatePem(EVP_PKEY* key);         // a self-signed CERTIFICATE

// Writes `content` to a new file named `name` in the process's key directory; its path.
std::string WriteFile(std::string_view name, std::string_view content);

struct KeyFiles {
  std::string pub;   // empty for HMAC
  std::string priv;  // the private key, or the HMAC secret
};
// Key files for `sign_method` ("RS256", ...). `variant` picks another key of the same kind
// (variant 0 and 1 are different keys); the same arguments give the same files.
KeyFiles FilesFor(std::string_view sign_method, int variant = 0);

// "sign-method=M,pub-key=P,priv-key=K" (either key left out when `with_pub` / `with_priv` is
// false or the file is empty).
std::string Options(std::string_view sign_method, const KeyFiles& files, bool with_pub = true,
                    bool with_priv = true);

}  // namespace etcdpp::auth::testkeys
