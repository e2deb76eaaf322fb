#include "server/tls/client_hello.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace etcdpp::server::tls {
namespace {

void Put16(std::string* s, size_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xff));
}

// A ClientHello offering `alpn` (none if empty), split into records of at most `record` bytes.
std::string Hello(const std::vector<std::string>& alpn, size_t record = 16384) {
  std::string body;
  Put16(&body, 0x0303);
  body.append(32, 'r');
  body.push_back(0);  // session id
  Put16(&body, 2);
  Put16(&body, 0x1301);  // one cipher suite
  body.push_back(1);
  body.push_back(0);  // compression
  std::string exts;
  if (!alpn.empty()) {
    std::string list;
    for (const std::string& p : alpn) {
      list.push_back(static_cast<char>(p.size()));
      list += p;
    }
    Put16(&exts, 16);
    Put16(&exts, list.size() + 2);
    Put16(&exts, list.size());
    exts += list;
  }
  Put16(&exts, 43);  // supported_versions: TLS 1.3, 1.2
  Put16(&exts, 5);
  exts.push_back(4);
  Put16(&exts, 0x0304);
  Put16(&exts, 0x0303);
  Put16(&body, exts.size());
  body += exts;
  std::string hs;
  hs.push_back(1);
  hs.push_back(0);
  Put16(&hs, body.size());
  hs += body;
  std::string out;
  for (size_t off = 0; off < hs.size(); off += record) {
    std::string frag = hs.substr(off, record);
    out.push_back(0x16);
    Put16(&out, 0x0301);
    Put16(&out, frag.size());
    out += frag;
  }
  return out;
}

TEST(ClientHelloTest, GrpcOffersOnlyH2) {
  ClientHello h = ParseClientHello(Hello({"h2"}));
  ASSERT_EQ(h.verdict, ClientHello::Verdict::kComplete);
  EXPECT_EQ(h.alpn, std::vector<std::string>{"h2"});
  EXPECT_EQ(h.max_version, 0x0304);
  EXPECT_FALSE(WantsHttp1(h));
  EXPECT_FALSE(WantsHttp1(ParseClientHello(Hello({"grpc-exp", "h2"}))));
}

TEST(ClientHelloTest, CurlAndNoAlpnGoToHttp1) {
  EXPECT_TRUE(WantsHttp1(ParseClientHello(Hello({"h2", "http/1.1"}))));
  ClientHello none = ParseClientHello(Hello({}));
  ASSERT_EQ(none.verdict, ClientHello::Verdict::kComplete);
  EXPECT_TRUE(WantsHttp1(none));
}

TEST(ClientHelloTest, PartialHelloWaitsAndFragmentsAreJoined) {
  std::string full = Hello({"h2"}, 20);
  for (size_t n = 1; n < full.size(); n += 7) {
    EXPECT_EQ(ParseClientHello(full.substr(0, n)).verdict, ClientHello::Verdict::kNeedMore) << n;
  }
  ClientHello h = ParseClientHello(full);
  ASSERT_EQ(h.verdict, ClientHello::Verdict::kComplete);
  EXPECT_EQ(h.alpn, std::vector<std::string>{"h2"});
}

TEST(ClientHelloTest, PlaintextAndGarbage) {
  EXPECT_EQ(ParseClientHello("GET / HTTP/1.1\r\n").verdict, ClientHello::Verdict::kNotTls);
  EXPECT_EQ(ParseClientHello("PRI * HTTP/2.0").verdict, ClientHello::Verdict::kNotTls);
  std::string bad("\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9);  // a ServerHello type
  EXPECT_EQ(ParseClientHello(bad).verdict, ClientHello::Verdict::kMalformed);
  std::string truncated_ext = Hello({"h2"});
  truncated_ext[truncated_ext.size() - 16] = 0x7f;  // the ALPN extension length, past the end
  EXPECT_NE(ParseClientHello(truncated_ext).verdict, ClientHello::Verdict::kComplete);
}

}  // namespace
}  // namespace etcdpp::server::tls
