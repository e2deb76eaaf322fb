#include "server/tls/client_hello.h"

#include <algorithm>
#include <cstdint>

namespace etcdpp::server::tls {
namespace {

// A bounds-checked reader over the handshake bytes.
class Reader {
 public:
  explicit Reader(absl::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  size_t left() const { return b_.size(); }
  uint32_t Int(int n) {
    if (b_.size() < static_cast<size_t>(n)) return Fail();
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b_[i]);
    b_.remove_prefix(n);
    return v;
  }
  absl::string_view Bytes(size_t n) {
    if (b_.size() < n) {
      Fail();
      return {};
    }
    absl::string_view out = b_.substr(0, n);
    b_.remove_prefix(n);
    return out;
  }
  // A length-prefixed vector (prefix of n bytes).
  absl::string_view Vec(int n) { return Bytes(Int(n)); }

 private:
  uint32_t Fail() {
    ok_ = false;
    b_ = {};
    return 0;
  }
  absl::string_view b_;
  bool ok_ = true;
};

// Concatenates the payloads of the leading handshake records until `need` bytes are there.
// Returns false while more records must arrive.
bool Defragment(absl::string_view bytes, std::string* out, bool* malformed) {
  size_t need = 4;  // handshake header, then its length
  while (out->size() < need) {
    if (bytes.size() < 5) return false;
    if (static_cast<unsigned char>(bytes[0]) != kTlsHandshakeByte) {
      *malformed = true;
      return true;
    }
    size_t len = (static_cast<unsigned char>(bytes[3]) << 8) | static_cast<unsigned char>(bytes[4]);
    if (bytes.size() < 5 + len) return false;
    out->append(bytes.substr(5, len).data(), len);
    bytes.remove_prefix(5 + len);
    if (out->size() >= 4) {
      need = 4 + ((static_cast<unsigned char>((*out)[1]) << 16) |
                  (static_cast<unsigned char>((*out)[2]) << 8) |
                  static_cast<unsigned char>((*out)[3]));
    }
  }
  return true;
}

void ParseExtension(uint32_t type, absl::string_view data, ClientHello* h) {
  Reader r(data);
  if (type == 16) {  // application_layer_protocol_negotiation
    Reader list(r.Vec(2));
    while (list.ok() && list.left() > 0) h->alpn.emplace_back(list.Vec(1));
  } else if (type == 43) {  // supported_versions
    Reader list(r.Vec(1));
    while (list.ok() && list.left() >= 2)
      h->max_version = std::max<int>(h->max_version, list.Int(2) & 0xffff);
  } else if (type == 0) {  // server_name
    Reader list(r.Vec(2));
    if (list.Int(1) == 0) h->server_name = std::string(list.Vec(2));
  }
}

}  // namespace

ClientHello ParseClientHello(absl::string_view bytes) {
  ClientHello h;
  if (bytes.empty()) return h;
  if (static_cast<unsigned char>(bytes[0]) != kTlsHandshakeByte) {
    h.verdict = ClientHello::Verdict::kNotTls;
    return h;
  }
  std::string msg;
  bool malformed = false;
  if (!Defragment(bytes, &msg, &malformed)) {
    h.verdict = bytes.size() >= kMaxClientHelloBytes ? ClientHello::Verdict::kMalformed
                                                     : ClientHello::Verdict::kNeedMore;
    return h;
  }
  Reader r(msg);
  bool hello = r.Int(1) == 1;
  r.Int(3);
  h.max_version = static_cast<int>(r.Int(2));
  r.Bytes(32);  // random
  r.Vec(1);     // session id
  r.Vec(2);     // cipher suites
  r.Vec(1);     // compression methods
  if (r.ok() && r.left() > 0) {
    Reader exts(r.Vec(2));
    while (exts.ok() && exts.left() >= 4) {
      uint32_t type = exts.Int(2);
      ParseExtension(type, exts.Vec(2), &h);
    }
    if (!exts.ok()) malformed = true;
  }
  h.verdict = (!hello || !r.ok() || malformed) ? ClientHello::Verdict::kMalformed
                                               : ClientHello::Verdict::kComplete;
  return h;
}

bool WantsHttp1(const ClientHello& hello) {
  return hello.alpn.empty() ||
         std::find(hello.alpn.begin(), hello.alpn.end(), "http/1.1") != hello.alpn.end();
}

}  // namespace etcdpp::server::tls
