#include "server/http/request.h"

#include "gtest/gtest.h"

namespace etcdpp::server::http {
namespace {

RequestParser::Limits SmallLimits() {
  RequestParser::Limits l;
  l.max_header_bytes = 256;
  l.max_body_bytes = 16;
  return l;
}

TEST(RequestParserTest, ContentLengthBodyArrivingInPieces) {
  RequestParser p(SmallLimits());
  std::string in =
      "POST /v3/kv/range?x=1&exclude=NO%53PACE HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab";
  EXPECT_EQ(p.Feed(&in), RequestParser::Result::kNeedMore);
  in += "cdeGET";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  Request r = p.TakeRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v3/kv/range");
  EXPECT_EQ(r.body, "abcde");
  EXPECT_EQ(r.Header("host"), "a");
  EXPECT_EQ(r.QueryValues("exclude"), std::vector<std::string>{"NOSPACE"});
  EXPECT_EQ(in, "GET");  // the next request's bytes stay
}

TEST(RequestParserTest, ChunkedBody) {
  RequestParser p(SmallLimits());
  std::string in =
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  EXPECT_EQ(p.TakeRequest().body, "abcde");
}

TEST(RequestParserTest, RefusesOversizedBodyBeforeReadingIt) {
  RequestParser p(SmallLimits());
  std::string in = "POST /a HTTP/1.1\r\nContent-Length: 17\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(RequestParserTest, RefusesOversizedChunkedBody) {
  RequestParser p(SmallLimits());
  std::string in = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(RequestParserTest, RefusesHugeHeaders) {
  RequestParser p(SmallLimits());
  std::string in = "GET /a HTTP/1.1\r\nX: " + std::string(300, 'x');
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(RequestParserTest, RefusesGarbage) {
  RequestParser p(SmallLimits());
  std::string in = "hello\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 400);
}

TEST(RequestParserTest, Http10ClosesAndConnectionHeaderWins) {
  RequestParser p(SmallLimits());
  std::string in = "GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  EXPECT_FALSE(p.TakeRequest().keep_alive);
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  Request b = p.TakeRequest();
  EXPECT_EQ(b.path, "/b");
  EXPECT_FALSE(b.keep_alive);
}

// Framing as strict as Go's net/http, against request smuggling: Content-Length headers that
// disagree, a Content-Length that is not plain digits, and any transfer coding but one
// "chunked" are refused (400, 400, 501); agreeing duplicates are one length, and chunked wins
// over a Content-Length beside it.
TEST(RequestParserTest, RefusesAmbiguousFraming) {
  auto status_of = [](const std::string& head) {
    RequestParser p(SmallLimits());
    std::string in = head + "\r\n\r\n";
    return p.Feed(&in) == RequestParser::Result::kError ? p.error_status() : 0;
  };
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2"), 400);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nContent-Length: +1"), 400);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nContent-Length: 0x1"), 400);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nContent-Length:"), 400);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip"), 501);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked"), 501);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nTransfer-Encoding: xchunked"), 501);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: chunked"),
            501);
  EXPECT_EQ(status_of("POST /a HTTP/1.1\r\nExpect: something-else"), 417);

  RequestParser p(SmallLimits());
  std::string in = "POST /a HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  EXPECT_EQ(p.TakeRequest().body, "ab");
  in = "POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: Chunked\r\n\r\n"
       "2\r\nab\r\n0\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  EXPECT_EQ(p.TakeRequest().body, "ab");
  EXPECT_TRUE(in.empty());
  // HTTP/1.0 has no transfer codings: the header is ignored and Content-Length frames the body.
  in = "POST /a HTTP/1.0\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  EXPECT_EQ(p.TakeRequest().body, "x");
}

// "Expect: 100-continue" with a body to come asks for one 100 Continue (curl otherwise waits a
// second before each large body); without a body, or on HTTP/1.0, none is due.
TEST(RequestParserTest, ExpectContinueIsAnsweredOncePerRequest) {
  RequestParser p(SmallLimits());
  std::string in = "PUT /a HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kNeedMore);
  EXPECT_TRUE(p.TakeContinue());
  EXPECT_FALSE(p.TakeContinue());
  in = "abc";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  EXPECT_EQ(p.TakeRequest().body, "abc");
  in = "GET /a HTTP/1.1\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kDone);
  EXPECT_FALSE(p.TakeContinue());
  p.TakeRequest();
  in = "PUT /a HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n";
  ASSERT_EQ(p.Feed(&in), RequestParser::Result::kNeedMore);
  EXPECT_FALSE(p.TakeContinue());
}

// A head arriving a byte at a time is searched once overall (the end of the head may straddle
// two reads), not rescanned from the start on every byte.
TEST(RequestParserTest, HeadArrivingByteByByte) {
  RequestParser::Limits l;
  RequestParser p(l);
  const std::string head = "GET /a HTTP/1.1\r\nX: " + std::string(200000, 'x') + "\r\n\r\n";
  std::string in;
  RequestParser::Result r = RequestParser::Result::kNeedMore;
  for (char ch : head) {
    in.push_back(ch);
    r = p.Feed(&in);
    if (r != RequestParser::Result::kNeedMore) break;
  }
  ASSERT_EQ(r, RequestParser::Result::kDone);
  EXPECT_EQ(p.TakeRequest().Header("x").size(), 200000u);
}

}  // namespace
}  // namespace etcdpp::server::http
