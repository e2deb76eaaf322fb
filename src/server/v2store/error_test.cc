#include "server/v2store/error.h"

#include "gtest/gtest.h"

namespace etcdpp::server::v2store {
namespace {

TEST(ErrorTest, MessagesAndStatusesAreEtcds) {
  struct Case {
    int code;
    const char* message;
    int status;
  };
  // v2error/error.go's tables.
  const Case cases[] = {
      {kEcodeKeyNotFound, "Key not found", 404},
      {kEcodeTestFailed, "Compare failed", 412},
      {kEcodeNotFile, "Not a file", 403},
      {kEcodeNotDir, "Not a directory", 400},
      {kEcodeNodeExist, "Key already exists", 412},
      {kEcodeRootROnly, "Root is read only", 400},
      {kEcodeDirNotEmpty, "Directory not empty", 403},
      {kEcodeUnauthorized, "The request requires user authentication", 401},
      {kEcodeInvalidField, "Invalid field", 400},
      {kEcodeInvalidForm, "Invalid POST form", 400},
      {kEcodeRefreshValue, "Value provided on refresh", 400},
      {kEcodeRefreshTTLRequired, "A TTL must be provided on refresh", 400},
      {kEcodeRaftInternal, "Raft Internal Error", 500},
      {kEcodeLeaderElect, "During Leader Election", 500},
      {kEcodeWatcherCleared, "watcher is cleared due to etcd recovery", 400},
      {kEcodeEventIndexCleared, "The event in requested index is outdated and cleared", 400},
  };
  for (const Case& c : cases) {
    Error e{.code = c.code};
    EXPECT_EQ(e.message(), c.message) << c.code;
    EXPECT_EQ(e.HttpStatus(), c.status) << c.code;
  }
  EXPECT_EQ(ErrorMessage(999), "");
}

TEST(ErrorTest, JsonOmitsAnEmptyCauseAndEscapesAsGo) {
  EXPECT_EQ((Error{.code = 209, .index = 7}).ToJson(),
            R"({"errorCode":209,"message":"Invalid field","index":7})");
  EXPECT_EQ((Error{.code = 100, .cause = "/a<b", .index = 3}).ToJson(),
            R"({"errorCode":100,"message":"Key not found","cause":"/a\u003cb","index":3})");
  EXPECT_EQ((Error{.code = 100, .cause = "/a"}).ToString(), "Key not found (/a)");
}

}  // namespace
}  // namespace etcdpp::server::v2store
