#pragma once
// PrepareTls: turns the certificate flags of a parsed Config into ready TlsInfos before
// anything listens. Auto-TLS certificates are generated into <data-dir>/fixtures/{client,peer}
// as etcd does; every certificate, key, CA and CRL file is read and checked; --cipher-suites
// and --tls-min/max-version are applied to both sides (and to gRPC's own TLS through
// GRPC_SSL_CIPHER_SUITES, read when gRPC first builds an SSL context). An https:// URL without
// a certificate fails here: nothing is ever served in plaintext on an https URL.

#include "absl/status/status.h"
#include "server/config.h"

namespace etcdpp::server::tls {

[[nodiscard]] absl::Status PrepareTls(Config* cfg);

}  // namespace etcdpp::server::tls
