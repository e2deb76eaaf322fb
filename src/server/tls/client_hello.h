#pragma once
// Reads a TLS ClientHello from the first bytes of a connection, before anyone answers it, so
// the client port can route the connection by its ALPN list (docs/design/tls.md): gRPC clients
// offer only "h2" (grpc C core also "grpc-exp"), curl and browsers include "http/1.1".
// Pure: bytes in, a verdict out.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace etcdpp::server::tls {

struct ClientHello {
  enum class Verdict { kNeedMore, kNotTls, kMalformed, kComplete };
  Verdict verdict = Verdict::kNeedMore;
  std::vector<std::string> alpn;  // protocols offered, in order
  int max_version = 0;            // highest version offered (0x0303 TLS 1.2, 0x0304 TLS 1.3)
  std::string server_name;        // SNI host, if sent
};

// The first byte of every TLS connection (a handshake record).
constexpr unsigned char kTlsHandshakeByte = 0x16;
// The most a ClientHello may take before we stop waiting for it.
constexpr size_t kMaxClientHelloBytes = 16 * 1024 + 5 * 4;

ClientHello ParseClientHello(absl::string_view bytes);

// True if the connection should be served by the HTTP/1.1 side: it offers "http/1.1", or no
// ALPN at all (curl --http1.1 without ALPN, openssl s_client).
bool WantsHttp1(const ClientHello& hello);

}  // namespace etcdpp::server::tls
