#include "auth/jwt_key.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/jwt_codec.h"
#include "common/status.h"

namespace etcdpp::auth {
namespace {

using Family = JwtAlgorithm::Family;

const std::array<JwtAlgorithm, 13> kAlgorithms = {{
    {"RS256", Family::kRsa, EVP_sha256, "", 0},
    {"RS384", Family::kRsa, EVP_sha384, "", 0},
    {"RS512", Family::kRsa, EVP_sha512, "", 0},
    {"PS256", Family::kRsaPss, EVP_sha256, "", 0},
    {"PS384", Family::kRsaPss, EVP_sha384, "", 0},
    {"PS512", Family::kRsaPss, EVP_sha512, "", 0},
    {"ES256", Family::kEcdsa, EVP_sha256, "prime256v1", 32},
    {"ES384", Family::kEcdsa, EVP_sha384, "secp384r1", 48},
    {"ES512", Family::kEcdsa, EVP_sha512, "secp521r1", 66},
    {"EdDSA", Family::kEd25519, nullptr, "", 0},
    {"HS256", Family::kHmac, EVP_sha256, "", 0},
    {"HS384", Family::kHmac, EVP_sha384, "", 0},
    {"HS512", Family::kHmac, EVP_sha512, "", 0},
}};

// Key files are a few KiB; anything past this is not one.
constexpr uint64_t kMaxKeyFileBytes = 1 << 20;
// Signed and verified once at load, to prove the key works for the algorithm.
constexpr std::string_view kProbeInput = "etcdpp.jwt.key-check";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};

constexpr size_t npos = std::string_view::npos;

// One PEM block of a file.
struct PemBlock {
  std::string label;
  bool encrypted = false;  // a "Proc-Type: 4,ENCRYPTED" header (legacy encrypted keys)
  std::string der;
};

absl::Status FileError(absl::string_view option, const std::string& path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(option, " \"", path, "\": ", why));
}

absl::StatusOr<std::string> ReadKeyFile(absl::string_view option, const std::string& path,
                                        Env* env) {
  if (!env->FileExists(path)) return FileError(option, path, "no such file");
  absl::StatusOr<uint64_t> size = env->GetFileSize(path);
  if (size.ok() && *size > kMaxKeyFileBytes) {
    return FileError(option, path, absl::StrCat("larger than ", kMaxKeyFileBytes, " bytes"));
  }
  absl::StatusOr<std::string> bytes = env->ReadFileToString(path);
  if (!bytes.ok()) return FileError(option, path, bytes.status().message());
  return bytes;
}

// Every PEM block of `text`, in order (text around and between blocks is passed over).
std::vector<PemBlock> PemBlocks(std::string_view text) {
  std::vector<PemBlock> blocks;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  while (bio != nullptr) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    std::unique_ptr<char, OpenSslFree> n(name), h(header);
    std::unique_ptr<unsigned char, OpenSslFree> d(data);
    bool encrypted = header != nullptr && std::string_view(header).find("ENCRYPTED") != npos;
    blocks.push_back(
        {name, encrypted, std::string(reinterpret_cast<char*>(data), static_cast<size_t>(len))});
  }
  ERR_clear_error();  // the end of input leaves "no start line" on the queue
  return blocks;
}

EvpPkeyPtr DecodePrivate(const PemBlock& block) {
  const auto* p = reinterpret_cast<const unsigned char*>(block.der.data());
  long len = static_cast<long>(block.der.size());
  if (block.label == "PRIVATE KEY") return EvpPkeyPtr(d2i_AutoPrivateKey(nullptr, &p, len));
  if (block.label == "RSA PRIVATE KEY") {
    return EvpPkeyPtr(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, len));
  }
  if (block.label == "EC PRIVATE KEY") {
    return EvpPkeyPtr(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, len));
  }
  return nullptr;
}

EvpPkeyPtr DecodePublic(const PemBlock& block) {
  const auto* p = reinterpret_cast<const unsigned char*>(block.der.data());
  long len = static_cast<long>(block.der.size());
  if (block.label == "PUBLIC KEY") return EvpPkeyPtr(d2i_PUBKEY(nullptr, &p, len));
  if (block.label == "RSA PUBLIC KEY") {
    return EvpPkeyPtr(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len));
  }
  if (block.label == "CERTIFICATE") {
    std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, len));
    return EvpPkeyPtr(cert == nullptr ? nullptr : X509_get_pubkey(cert.get()));
  }
  return nullptr;
}

bool IsPrivateLabel(std::string_view l) {
  return l == "PRIVATE KEY" || l == "RSA PRIVATE KEY" || l == "EC PRIVATE KEY";
}
bool IsPublicLabel(std::string_view l) {
  return l == "PUBLIC KEY" || l == "RSA PUBLIC KEY" || l == "CERTIFICATE";
}

// The key of the first block of `text` that suits the role (`want_private`).
absl::StatusOr<EvpPkeyPtr> ParsePemKey(absl::string_view option, const std::string& path,
                                       std::string_view text, bool want_private) {
  std::vector<PemBlock> blocks = PemBlocks(text);
  std::vector<std::string> labels;
  for (const PemBlock& block : blocks) {
    labels.push_back(block.label);
    bool fits = want_private ? IsPrivateLabel(block.label) : IsPublicLabel(block.label);
    if (block.label == "ENCRYPTED PRIVATE KEY" || (fits && block.encrypted)) {
      return FileError(option, path, "the private key is encrypted (etcd takes no passphrase)");
    }
    if (!fits) continue;
    EvpPkeyPtr key = want_private ? DecodePrivate(block) : DecodePublic(block);
    ERR_clear_error();
    if (key == nullptr) return FileError(option, path, absl::StrCat("bad ", block.label, " block"));
    return key;
  }
  absl::string_view wanted =
      want_private ? "a PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"
                   : "a PEM public key or certificate (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)";
  std::string found = labels.empty() ? "no PEM block" : absl::StrJoin(labels, ", ");
  return FileError(option, path, absl::StrCat("not ", wanted, "; found ", found));
}

// Whether `key` is of the type (and for ECDSA the curve) that `alg` signs with.
absl::Status CheckKeyType(const JwtAlgorithm& alg, absl::string_view option,
                          const std::string& path, EVP_PKEY* key) {
  switch (alg.family) {
    case Family::kRsa:
    case Family::kRsaPss:
      if (EVP_PKEY_is_a(key, "RSA")) return absl::OkStatus();
      return FileError(option, path,
                       absl::StrCat("not an RSA key, which ", AbslView(alg.name), " needs"));
    case Family::kEd25519:
      if (EVP_PKEY_is_a(key, "ED25519")) return absl::OkStatus();
      return FileError(option, path, "not an Ed25519 key, which EdDSA needs");
    case Family::kEcdsa:
      break;
    case Family::kHmac:
      return absl::OkStatus();
  }
  if (!EVP_PKEY_is_a(key, "EC")) {
    return FileError(option, path,
                     absl::StrCat("not an EC key, which ", AbslView(alg.name), " needs"));
  }
  char group[64] = {0};
  size_t group_len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) != 1 ||
      OBJ_txt2nid(group) != OBJ_txt2nid(std::string(alg.curve).c_str())) {
    ERR_clear_error();
    return FileError(option, path,
                     absl::StrCat("an EC key on curve ", group, ", but ", AbslView(alg.name),
                                  " needs ", AbslView(alg.curve)));
  }
  return absl::OkStatus();
}

absl::StatusOr<EvpPkeyPtr> LoadPkey(const JwtAlgorithm& alg, absl::string_view option,
                                    const std::string& path, bool want_private, Env* env) {
  ASSIGN_OR_RETURN(std::string text, ReadKeyFile(option, path, env));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, ParsePemKey(option, path, text, want_private));
  RETURN_NOT_OK(CheckKeyType(alg, option, path, key.get()));
  return key;
}

// The DER ECDSA signature `der` as JWS R || S.
std::optional<std::string> EcdsaDerToJws(std::string_view der, int component_size) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr) return std::nullopt;
  std::string out(2 * component_size, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), buf, component_size) != component_size ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), buf + component_size, component_size) !=
          component_size) {
    return std::nullopt;
  }
  return out;
}

// The JWS R || S signature `jws` as DER, for OpenSSL to verify.
std::optional<std::string> EcdsaJwsToDer(std::string_view jws, int component_size) {
  if (jws.size() != 2 * static_cast<size_t>(component_size)) return std::nullopt;
  const auto* buf = reinterpret_cast<const unsigned char*>(jws.data());
  BIGNUM* r = BN_bin2bn(buf, component_size, nullptr);
  BIGNUM* s = BN_bin2bn(buf + component_size, component_size, nullptr);
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// Sets the PSS parameters on a signing or verifying context.
bool SetPss(EVP_PKEY_CTX* pctx, const JwtAlgorithm& alg, bool signing) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg.digest()) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(
             pctx, signing ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO) > 0;
}

}  // namespace

void EvpPkeyFree::operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }

const JwtAlgorithm* FindJwtAlgorithm(std::string_view name) {
  for (const JwtAlgorithm& alg : kAlgorithms) {
    if (alg.name == name) return &alg;
  }
  return nullptr;
}

std::string JwtAlgorithmNames() {
  return absl::StrJoin(kAlgorithms, ", ",
                       [](std::string* out, const JwtAlgorithm& a) { out->append(a.name); });
}

JwtKey::JwtKey(const JwtAlgorithm& alg, EvpPkeyPtr pkey, std::string hmac_secret, bool can_sign)
    : alg_(alg),
      pkey_(std::move(pkey)),
      hmac_secret_(std::move(hmac_secret)),
      can_sign_(can_sign) {}

absl::StatusOr<std::unique_ptr<JwtKey>> JwtKey::Load(const JwtAlgorithm& alg,
                                                     const std::string& pub_key_path,
                                                     const std::string& priv_key_path, Env* env) {
  if (alg.family == Family::kHmac) {
    // As etcd: the secret is priv-key's bytes; a pub-key is read (it must exist) but not used.
    if (priv_key_path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sign-method ", AbslView(alg.name), " needs priv-key (the file of the HMAC secret)"));
    }
    if (!pub_key_path.empty()) RETURN_NOT_OK(ReadKeyFile("pub-key", pub_key_path, env).status());
    ASSIGN_OR_RETURN(std::string secret, ReadKeyFile("priv-key", priv_key_path, env));
    if (secret.empty()) return FileError("priv-key", priv_key_path, "empty (no HMAC secret)");
    return std::unique_ptr<JwtKey>(new JwtKey(alg, nullptr, std::move(secret), true));
  }
  if (pub_key_path.empty() && priv_key_path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sign-method ", AbslView(alg.name), " needs priv-key, pub-key or both"));
  }
  EvpPkeyPtr pub, priv;
  if (!pub_key_path.empty()) {
    ASSIGN_OR_RETURN(pub, LoadPkey(alg, "pub-key", pub_key_path, false, env));
  }
  if (!priv_key_path.empty()) {
    ASSIGN_OR_RETURN(priv, LoadPkey(alg, "priv-key", priv_key_path, true, env));
  }
  if (pub != nullptr && priv != nullptr && EVP_PKEY_eq(pub.get(), priv.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("pub-key \"", pub_key_path, "\" and priv-key \"",
                                                   priv_key_path, "\" are not a key pair"));
  }
  bool can_sign = priv != nullptr;
  std::unique_ptr<JwtKey> key(
      new JwtKey(alg, can_sign ? std::move(priv) : std::move(pub), std::string(), can_sign));
  if (can_sign) {
    std::optional<std::string> probe = key->Sign(kProbeInput);
    if (!probe.has_value() || !key->Verify(kProbeInput, *probe)) {
      return FileError("priv-key", priv_key_path,
                       absl::StrCat("this key cannot make ", AbslView(alg.name),
                                    " signatures (an RSA key too short for the hash?)"));
    }
  }
  return key;
}

std::optional<std::string> JwtKey::Sign(std::string_view input) const {
  if (!can_sign_) return std::nullopt;
  std::optional<std::string> sig = alg_.family == Family::kHmac ? SignHmac(input) : SignPkey(input);
  ERR_clear_error();
  return sig;
}

bool JwtKey::Verify(std::string_view input, std::string_view signature) const {
  if (alg_.family != Family::kHmac) {
    bool ok = VerifyPkey(input, signature);
    ERR_clear_error();  // a failed check leaves errors on this thread's queue (gRPC's TLS reads it)
    return ok;
  }
  std::optional<std::string> expected = SignHmac(input);
  return expected.has_value() && expected->size() == signature.size() &&
         CRYPTO_memcmp(expected->data(), signature.data(), signature.size()) == 0;
}

std::optional<std::string> JwtKey::SignHmac(std::string_view input) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(alg_.digest(), hmac_secret_.data(), static_cast<int>(hmac_secret_.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
           &len) == nullptr) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::optional<std::string> JwtKey::SignPkey(std::string_view input) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const EVP_MD* md = alg_.digest == nullptr ? nullptr : alg_.digest();
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, pkey_.get()) != 1) {
    return std::nullopt;
  }
  if (alg_.family == Family::kRsaPss && !SetPss(pctx, alg_, true)) return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) return std::nullopt;
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    return std::nullopt;
  }
  sig.resize(len);
  if (alg_.family == Family::kEcdsa) return EcdsaDerToJws(sig, alg_.ecdsa_component_size);
  return sig;
}

bool JwtKey::VerifyPkey(std::string_view input, std::string_view signature) const {
  std::string der;
  if (alg_.family == Family::kEcdsa) {
    std::optional<std::string> converted = EcdsaJwsToDer(signature, alg_.ecdsa_component_size);
    if (!converted.has_value()) return false;
    der = std::move(*converted);
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const EVP_MD* md = alg_.digest == nullptr ? nullptr : alg_.digest();
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey_.get()) != 1) {
    return false;
  }
  if (alg_.family == Family::kRsaPss && !SetPss(pctx, alg_, false)) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

}  // namespace etcdpp::auth
