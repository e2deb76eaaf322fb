// Fuzzes the TLS ClientHello reader the client port routes connections by
// (src/server/tls/client_hello.h). The input is the first bytes of a connection. Any verdict is
// fine, but a complete hello read from a prefix must be read the same from the whole input
// (the port re-reads as bytes arrive), and kNeedMore is never the verdict past the cap.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "server/tls/client_hello.h"

namespace {

using etcdpp::server::tls::ClientHello;

bool SameHello(const ClientHello& a, const ClientHello& b) {
  return a.verdict == b.verdict && a.alpn == b.alpn && a.max_version == b.max_version &&
         a.server_name == b.server_name;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ClientHello whole = etcdpp::server::tls::ParseClientHello(bytes);
  (void)etcdpp::server::tls::WantsHttp1(whole);
  if (whole.verdict == ClientHello::Verdict::kNeedMore &&
      size > etcdpp::server::tls::kMaxClientHelloBytes) {
    std::abort();
  }
  // As the port sees it: the same bytes arriving in two reads.
  const size_t cut = size / 2;
  const ClientHello first = etcdpp::server::tls::ParseClientHello(bytes.substr(0, cut));
  if (first.verdict != ClientHello::Verdict::kNeedMore && !SameHello(first, whole)) {
    // A verdict reached on a prefix is final: more bytes cannot change it.
    std::abort();
  }
  return 0;
}
