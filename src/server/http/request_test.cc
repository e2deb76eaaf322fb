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

}  // namespace
}  // namespace etcdpp::server::http
