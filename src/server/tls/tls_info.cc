#include "server/tls/tls_info.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "server/tls/crl.h"

namespace etcdpp::server::tls {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM data found";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& flag,
                                                   const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": open ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": read: ", std::strerror(errno)));
  }
  return ss.str();
}

std::unique_ptr<BIO, BioFree> MemBio(const std::string& data) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

[[nodiscard]] absl::Status Bad(const std::string& flag, const std::string& path,
                               const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " ", path, ": ", what, ": ", OpenSslError()));
}

[[nodiscard]] absl::Status CheckCertAndKey(const TlsInfo& info) {
  const std::string cert_flag = info.Flag("cert-file"), key_flag = info.Flag("key-file");
  if (info.cert_file.empty() || info.key_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KeyFile and CertFile must both be present[key: ", info.key_file,
                     ", cert: ", info.cert_file, "] (", cert_flag, ", ", key_flag, ")"));
  }
  auto cert_pem = ReadFile(cert_flag, info.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadFile(key_flag, info.key_file);
  if (!key_pem.ok()) return key_pem.status();
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(MemBio(*cert_pem).get(), nullptr, nullptr, nullptr));
  if (!cert) return Bad(cert_flag, info.cert_file, "cannot parse the certificate");
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(MemBio(*key_pem).get(), nullptr, nullptr, nullptr));
  if (!key) return Bad(key_flag, info.key_file, "cannot parse the private key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(key_flag, " ", info.key_file,
                                                   ": private key does not match public key in ",
                                                   cert_flag, " ", info.cert_file));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckCa(const TlsInfo& info) {
  if (info.trusted_ca_file.empty()) return absl::OkStatus();
  const std::string flag = info.Flag("trusted-ca-file");
  auto pem = ReadFile(flag, info.trusted_ca_file);
  if (!pem.ok()) return pem.status();
  std::unique_ptr<X509, X509Free> ca(
      PEM_read_bio_X509(MemBio(*pem).get(), nullptr, nullptr, nullptr));
  if (!ca) return Bad(flag, info.trusted_ca_file, "cannot parse a CA certificate");
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckCrl(const TlsInfo& info) {
  if (info.crl_file.empty()) return absl::OkStatus();
  const std::string flag =
      "--" + std::string(info.flag_prefix.empty() ? "client-" : info.flag_prefix) + "crl-file";
  absl::StatusOr<X509_CRL*> crl = ReadCrlFile(info.crl_file);
  if (!crl.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", info.crl_file, ": ", crl.status().message()));
  X509_CRL_free(*crl);
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status CheckFiles(const TlsInfo& info) {
  if (!info.allowed_cn.empty() && !info.allowed_hostname.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AllowedCN and AllowedHostname are mutually exclusive (cn=\"", info.allowed_cn,
                     "\", hostname=\"", info.allowed_hostname, "\")"));
  }
  if (absl::Status st = CheckCertAndKey(info); !st.ok()) return st;
  if (absl::Status st = CheckCa(info); !st.ok()) return st;
  return CheckCrl(info);
}

[[nodiscard]] absl::StatusOr<std::string> OpenSslCipherList(
    const std::vector<std::string>& go_names) {
  // Go's crypto/tls names (tls.CipherSuites and InsecureCipherSuites, plus etcd's two short
  // ChaCha aliases) -> OpenSSL's. TLS 1.3 suites are accepted and left out: neither Go nor
  // OpenSSL lets a cipher list restrict them.
  static const std::map<std::string, std::string> kNames = {
      {"TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"},
      {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"},
      {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
      {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
      {"TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"},
      {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
      {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"},
      {"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_AES_128_GCM_SHA256", ""},
      {"TLS_AES_256_GCM_SHA384", ""},
      {"TLS_CHACHA20_POLY1305_SHA256", ""},
  };
  std::string out;
  for (const std::string& n : go_names) {
    auto it = kNames.find(n);
    if (it == kNames.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cipher-suites: unexpected TLS cipher suite \"", n, "\""));
    }
    if (it->second.empty()) continue;
    if (!out.empty()) out += ":";
    out += it->second;
  }
  return out;
}

[[nodiscard]] absl::StatusOr<int> ParseTlsVersion(const std::string& flag, const std::string& v) {
  if (v.empty()) return 0;
  if (v == "TLS1.2") return TLS1_2_VERSION;
  if (v == "TLS1.3") return TLS1_3_VERSION;
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": unexpected TLS version \"", v,
                                                 "\" (must be one of: TLS1.2, TLS1.3)"));
}

std::string CommonNameOfPem(const std::string& pem) {
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(MemBio(pem).get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return "";
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  char buf[256];
  int n = X509_NAME_get_text_by_NID(name, NID_commonName, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace etcdpp::server::tls
