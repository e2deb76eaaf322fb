#include "auth/jwt_codec.h"

#include <string>

#include "gtest/gtest.h"

namespace etcdpp::auth {
namespace {

using Kind = JsonMember::Kind;

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    std::string text = Base64UrlEncode(bytes);
    EXPECT_EQ(text.find_first_of("=+/"), std::string::npos);
    EXPECT_EQ(Base64UrlDecode(text), bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
}

TEST(Base64UrlTest, KnownVectors) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_EQ(Base64UrlDecode(""), "");
  EXPECT_EQ(Base64UrlDecode("eyJhIjoxfQ"), R"({"a":1})");
}

TEST(Base64UrlTest, DecodingIsStrict) {
  for (std::string_view bad : {"A", "AAAAA", "eyJhIjoxfQ==", "ab+/", "ab cd", "ab\ncd", "ab.c",
                               "-_9",  // non-zero unused bits: "-_8" is the one encoding
                               "AB"}) {
    EXPECT_FALSE(Base64UrlDecode(bad).has_value()) << bad;
  }
}

TEST(JsonObjectTest, ReadsTopLevelMembers) {
  auto m = ParseJsonObject(
      R"( { "s" : "x\u00e9\ud83d\udd11\n\/" , "n":-1.5e+3, "t":true, "f":false, "z":null,)"
      R"( "o":{"a":[1,2,{"b":[]}]}, "a":[] } )");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->size(), 7u);
  EXPECT_EQ(m->at("s").kind, Kind::kString);
  EXPECT_EQ(m->at("s").text, "x\xC3\xA9\xF0\x9F\x94\x91\n/");
  EXPECT_EQ(m->at("n").kind, Kind::kNumber);
  EXPECT_EQ(m->at("n").text, "-1.5e+3");
  EXPECT_EQ(m->at("t").text, "true");
  EXPECT_EQ(m->at("f").kind, Kind::kBool);
  EXPECT_EQ(m->at("z").kind, Kind::kNull);
  EXPECT_EQ(m->at("o").kind, Kind::kNested);
  EXPECT_EQ(m->at("a").kind, Kind::kNested);
  EXPECT_TRUE(ParseJsonObject("{}").has_value());
}

TEST(JsonObjectTest, RefusesWhatIsNotStrictJson) {
  for (std::string_view bad : {
           "",
           "[]",
           "\"s\"",
           "{",
           "}",
           "{\"a\"}",
           "{\"a\":}",
           "{\"a\":1,}",
           "{,}",
           "{\"a\":1}x",
           "{\"a\":1}{}",
           "{'a':1}",
           "{a:1}",
           "{\"a\":01}",
           "{\"a\":1.}",
           "{\"a\":.5}",
           "{\"a\":+1}",
           "{\"a\":1e}",
           "{\"a\":-}",
           "{\"a\":NaN}",
           "{\"a\":Infinity}",
           "{\"a\":tru}",
           "{\"a\":nul}",
           "{\"a\":\"\\x\"}",
           "{\"a\":\"\\u12\"}",
           "{\"a\":\"\\ud83d\"}",
           "{\"a\":\"\\udd11\"}",
           "{\"a\":\"\\ud83d\\u0041\"}",
           "{\"a\":\"tab\there\"}",
           "{\"a\":\"\xFF\"}",
           "{\"a\":1,\"a\":2}",
           "{\"a\":[1,]}",
           "{\"a\":[1 2]}",
           "{\"a\":\"unterminated}",
           "{/*c*/\"a\":1}",
           "\xEF\xBB\xBF{}",
       }) {
    EXPECT_FALSE(ParseJsonObject(bad).has_value()) << bad;
  }
  std::string nul("{\"a\":\"x\0y\"}", 11);
  EXPECT_FALSE(ParseJsonObject(nul).has_value());
}

TEST(JsonObjectTest, NestingIsBounded) {
  auto nested = [](int depth) {
    return "{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  EXPECT_TRUE(ParseJsonObject(nested(kMaxJsonDepth - 1)).has_value());
  EXPECT_FALSE(ParseJsonObject(nested(kMaxJsonDepth)).has_value());
  EXPECT_FALSE(ParseJsonObject(nested(100000)).has_value());
}

}  // namespace
}  // namespace etcdpp::auth
