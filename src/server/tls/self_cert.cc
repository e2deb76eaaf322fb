#include "server/tls/self_cert.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace etcdpp::server::tls {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

bool IsIp(const std::string& h) {
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

bool AddExt(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

std::unique_ptr<X509, X509Free> MakeCert(EVP_PKEY* key, const std::vector<std::string>& hosts) {
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("etcd"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  std::vector<std::string> sans;
  for (const std::string& h : hosts) sans.push_back(absl::StrCat(IsIp(h) ? "IP:" : "DNS:", h));
  bool ok = AddExt(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
            AddExt(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
            AddExt(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") &&
            (sans.empty() || AddExt(cert.get(), NID_subject_alt_name, absl::StrJoin(sans, ",")));
  if (!ok || X509_sign(cert.get(), key, EVP_sha256()) == 0) return nullptr;
  return cert;
}

// The file gets `mode` from its creation (open's mode, then fchmod for a file that existed), so
// a private key is never readable by others, not even for a moment.
[[nodiscard]] absl::Status WritePem(const std::string& path, mode_t mode, bool key, void* obj) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || ::fchmod(fd, mode) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::InternalError(absl::StrCat("auto-tls: cannot create ", path));
  }
  std::unique_ptr<FILE, FileClose> f(::fdopen(fd, "w"));
  if (!f) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("auto-tls: cannot create ", path));
  }
  int ok = key ? PEM_write_PrivateKey(f.get(), static_cast<EVP_PKEY*>(obj), nullptr, nullptr, 0,
                                      nullptr, nullptr)
               : PEM_write_X509(f.get(), static_cast<X509*>(obj));
  if (ok != 1) return absl::InternalError(absl::StrCat("auto-tls: cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::StatusOr<TlsInfo> SelfCert(const std::string& dir,
                                               const std::vector<std::string>& hosts) {
  TlsInfo info;
  info.cert_file = dir + "/cert.pem";
  info.key_file = dir + "/key.pem";
  info.self_signed = true;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot create cert directory ", dir, ": ", ec.message()));
  if (std::filesystem::exists(info.cert_file) && std::filesystem::exists(info.key_file))
    return info;
  std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError("auto-tls: cannot generate an ECDSA key");
  std::unique_ptr<X509, X509Free> cert = MakeCert(key.get(), hosts);
  if (!cert) return absl::InternalError("auto-tls: cannot generate an x509 certificate");
  if (absl::Status st = WritePem(info.cert_file, 0644, false, cert.get()); !st.ok()) return st;
  if (absl::Status st = WritePem(info.key_file, 0600, true, key.get()); !st.ok()) return st;
  return info;
}

}  // namespace etcdpp::server::tls
