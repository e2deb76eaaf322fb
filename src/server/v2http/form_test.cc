// The v2 API's request values as Go's net/http reads them.
#include "server/v2http/form.h"

#include "gtest/gtest.h"

namespace etcdpp::server::v2http {
namespace {

TEST(FormTest, BodyValuesComeBeforeQueryValues) {
  http::Request req;
  req.method = "PUT";
  req.query = "value=q&ttl=5";
  req.body = "value=a+b%21&dir";
  req.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  Form f;
  ASSERT_TRUE(ParseRequestForm(req, &f).ok());
  EXPECT_EQ(f["value"], (std::vector<std::string>{"a b!", "q"}));
  EXPECT_EQ(FormValue(f, "ttl"), "5");
  EXPECT_TRUE(Has(f, "dir"));
  EXPECT_EQ(FormValue(f, "dir"), "");
}

TEST(FormTest, BodiesOfOtherTypesAndMethodsAreNotRead) {
  http::Request req;
  req.method = "DELETE";
  req.body = "value=x";
  req.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  Form f;
  ASSERT_TRUE(ParseRequestForm(req, &f).ok());
  EXPECT_FALSE(Has(f, "value"));
  req.method = "PUT";
  req.headers = {{"content-type", "text/plain"}};
  ASSERT_TRUE(ParseRequestForm(req, &f).ok());
  EXPECT_FALSE(Has(f, "value"));
}

TEST(FormTest, MalformedValuesFailWithGosMessagesAndKeepTheRest) {
  Form f;
  absl::Status st = ParseQueryInto("a=1&b=%zz&c=3", &f);
  EXPECT_EQ(st.message(), "invalid URL escape \"%zz\"");
  EXPECT_EQ(FormValue(f, "a"), "1");
  EXPECT_EQ(FormValue(f, "c"), "3");
  EXPECT_FALSE(Has(f, "b"));
  EXPECT_EQ(ParseQueryInto("x=%4", &f).message(), "invalid URL escape \"%4\"");
  EXPECT_EQ(ParseQueryInto("x=1;y=2", &f).message(), "invalid semicolon separator in query");
}

TEST(FormTest, PathsAreUnescapedAndCleanedAsServeMuxDoes) {
  EXPECT_EQ(PathUnescape("/v2/keys/a%20b+c"), "/v2/keys/a b+c");
  EXPECT_FALSE(PathUnescape("/v2/keys/%g1").has_value());
  EXPECT_EQ(CleanUrlPath("/v2/keys/a/"), "/v2/keys/a/");
  EXPECT_EQ(CleanUrlPath("/v2/keys//a/../b"), "/v2/keys/b");
  EXPECT_EQ(CleanUrlPath("/v2/keys/.."), "/v2");
}

}  // namespace
}  // namespace etcdpp::server::v2http
