#include "auth/jwt_test_keys.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/jwt_codec.h"
#include "gtest/gtest.h"

namespace etcdpp::auth::testkeys {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// The temporary directory of this process, removed when the process exits.
class KeyDir {
 public:
  KeyDir() {
    std::string tmpl = (std::filesystem::path(::testing::TempDir()) / "jwt_keys_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) abort();
    path_ = tmpl;
  }
  ~KeyDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

KeyDir& Dir() {
  static KeyDir dir;
  return dir;
}

template <typename Write>
std::string ToPem(Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!write(bio.get())) abort();
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string_view KindFor(std::string_view method) {
  if (absl::StartsWith(AbslView(method), "RS") || absl::StartsWith(AbslView(method), "PS")) {
    return "RSA";
  }
  if (method == "ES256") return "P-256";
  if (method == "ES384") return "P-384";
  if (method == "ES512") return "P-521";
  if (method == "EdDSA") return "ED25519";
  return "HMAC";
}

KeyFiles MakeFiles(std::string_view kind, int variant) {
  std::string base = absl::StrCat(AbslView(kind), "-", variant);
  if (kind == "HMAC") {
    std::string secret = absl::StrCat("test-hmac-secret-", variant, "-0123456789abcdef0123456789");
    return {"", WriteFile(base + ".secret", secret)};
  }
  EvpPkeyPtr key = Generate(kind);
  return {WriteFile(base + ".pub.pem", PublicPem(key.get())),
          WriteFile(base + ".key.pem", PrivatePkcs8Pem(key.get()))};
}

}  // namespace

EvpPkeyPtr Generate(std::string_view kind) {
  EVP_PKEY* key = nullptr;
  if (kind == "RSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else if (kind == "ED25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", std::string(kind).c_str());
  }
  if (key == nullptr) abort();
  return EvpPkeyPtr(key);
}

std::string PrivatePkcs8Pem(EVP_PKEY* key) {
  return ToPem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

std::string PrivateTraditionalPem(EVP_PKEY* key) {
  return ToPem([&](BIO* b) {
    return PEM_write_bio_PrivateKey_traditional(b, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

std::string EncryptedPrivatePem(EVP_PKEY* key) {
  static char kPassword[] = "password";
  return ToPem([&](BIO* b) {
    return PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), kPassword, 8, nullptr,
                                         nullptr) == 1;
  });
}

std::string PublicPem(EVP_PKEY* key) {
  return ToPem([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key) == 1; });
}

std::string RsaPublicPem(EVP_PKEY* key) {
  return ToPem([&](BIO* b) {
    unsigned char* der = nullptr;
    int len = i2d_PublicKey(key, &der);
    bool ok = len > 0 && PEM_write_bio(b, "RSA PUBLIC KEY", "", der, len) > 0;
    OPENSSL_free(der);
    return ok;
  });
}

std::string CertificatePem(EVP_PKEY* key) {
  std::unique_ptr<X509, void (*)(X509*)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("etcdpp-jwt-test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) abort();
  return ToPem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()) == 1; });
}

std::string WriteFile(std::string_view name, std::string_view content) {
  std::string path = (std::filesystem::path(Dir().path()) / std::string(name)).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) abort();
  return path;
}

KeyFiles FilesFor(std::string_view sign_method, int variant) {  // test threads: one
  static auto* made = new std::map<std::string, KeyFiles>();
  std::string_view kind = KindFor(sign_method);
  std::string id = absl::StrCat(AbslView(kind), "/", variant);
  auto it = made->find(id);
  if (it == made->end()) it = made->emplace(id, MakeFiles(kind, variant)).first;
  return it->second;
}

std::string Options(std::string_view sign_method, const KeyFiles& files, bool with_pub,
                    bool with_priv) {
  std::string out = absl::StrCat("sign-method=", AbslView(sign_method));
  if (with_pub && !files.pub.empty()) absl::StrAppend(&out, ",pub-key=", files.pub);
  if (with_priv && !files.priv.empty()) absl::StrAppend(&out, ",priv-key=", files.priv);
  return out;
}

}  // namespace etcdpp::auth::testkeys
