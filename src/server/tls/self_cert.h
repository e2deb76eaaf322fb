#pragma once
// Auto-TLS (--auto-tls, --peer-auto-tls): a self-signed certificate and its key, generated with
// OpenSSL into <dir>/cert.pem and <dir>/key.pem as etcd's transport.SelfCert does (organization
// "etcd", valid one year, the listen hosts as IP or DNS subject alternative names, server and
// client usage), or reused when both files already exist.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/tls/tls_info.h"

namespace etcdpp::server::tls {

// hosts: the hosts of the listen URLs ("127.0.0.1", "localhost", "::1").
[[nodiscard]] absl::StatusOr<TlsInfo> SelfCert(const std::string& dir,
                                               const std::vector<std::string>& hosts);

}  // namespace etcdpp::server::tls
