#include "common/v2client/keys_format.h"

#include <gtest/gtest.h>

#include "common/v2client/http_client.h"

namespace etcdpp::v2client {
namespace {

constexpr char kSet[] =
    R"({"action":"set","node":{"key":"/foo","value":"a<b","modifiedIndex":7,"createdIndex":7,)"
    R"("expiration":"2026-12-07T08:36:16.076698374Z","ttl":100},)"
    R"("prevNode":{"key":"/foo","value":"old","modifiedIndex":5,"createdIndex":4}})";

TEST(KeysFormat, SimpleExtendedJson) {
  absl::StatusOr<Response> r = ParseResponse(kSet, "7");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*FormatResponse(*r, "simple"), "a<b\n");
  EXPECT_EQ(*FormatResponse(*r, "extended"),
            "Key: /foo\nCreated-Index: 7\nModified-Index: 7\nPrevNode.Value: old\nTTL: 100\n"
            "Index: 7\n\na<b\n");
  // Go's json.Marshal of client.Response: field order, HTML escaping, "nodes":null, omitempty.
  EXPECT_EQ(*FormatResponse(*r, "json"),
            R"({"action":"set","node":{"key":"/foo","value":"a\u003cb","nodes":null,)"
            R"("createdIndex":7,"modifiedIndex":7,"expiration":"2026-12-07T08:36:16.076698374Z",)"
            R"("ttl":100},"prevNode":{"key":"/foo","value":"old","nodes":null,"createdIndex":4,)"
            R"("modifiedIndex":5}})"
            "\n");
  EXPECT_FALSE(FormatResponse(*r, "yaml").has_value());
}

TEST(KeysFormat, DeleteAndListing) {
  absl::StatusOr<Response> del =
      ParseResponse(R"({"action":"delete","node":{"key":"/a","modifiedIndex":9,"createdIndex":3},)"
                    R"("prevNode":{"key":"/a","value":"v","modifiedIndex":3,"createdIndex":3}})",
                    "9");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(*FormatResponse(*del, "simple"), "PrevNode.Value: v\n");
  absl::StatusOr<Response> ls = ParseResponse(
      R"({"action":"get","node":{"dir":true,"nodes":[{"key":"/d","dir":true,"nodes":[)"
      R"({"key":"/d/x","value":"1"}]},{"key":"/f","value":"2"}]}})",
      "");
  ASSERT_TRUE(ls.ok());
  EXPECT_EQ(FormatLs(*ls, false), "/d\n/d/x\n/f\n");
  EXPECT_EQ(FormatLs(*ls, true), "/d/\n/d/x\n/f\n");
  // An empty list stays [] (Go keeps it apart from a missing one).
  absl::StatusOr<Response> empty =
      ParseResponse(R"({"action":"get","node":{"key":"/e","dir":true,"nodes":[]}})", "3");
  ASSERT_TRUE(empty.ok());
  EXPECT_NE(ResponseJson(*empty).find(R"("dir":true,"value":"","nodes":[])"), std::string::npos);
}

TEST(KeysFormat, ErrorsAndBadBodies) {
  absl::StatusOr<KeysError> e =
      ParseKeysError(R"({"errorCode":100,"message":"Key not found","cause":"/foo","index":5})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Text(), "100: Key not found (/foo) [5]");
  EXPECT_FALSE(ParseResponse("<html>", "").ok());
  EXPECT_FALSE(ParseResponse(R"({"action":"get"})", "x").ok());
}

TEST(KeysFormat, PathsAndEscapes) {
  EXPECT_EQ(CanonicalUrlPath("/v2/keys//a/../b/"), "/v2/keys/b/");
  EXPECT_EQ(CanonicalUrlPath("/v2/keys/./a"), "/v2/keys/a");
  EXPECT_EQ(QueryEscape("a b&c/=é"), "a+b%26c%2F%3D%C3%A9");
  EXPECT_EQ(PathEscape("/v2/keys/a b?c:d@e!"), "/v2/keys/a%20b%3Fc:d@e%21");
}

}  // namespace
}  // namespace etcdpp::v2client
