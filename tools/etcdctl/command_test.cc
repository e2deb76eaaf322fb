#include "command.h"

#include <gtest/gtest.h>

#include "api_version.h"
#include "commands.h"

namespace etcdpp::etcdctl {
namespace {

TEST(FindCommand, NamesPrefixesAndGlobalFlagValues) {
  auto root = NewRootCommand();
  std::vector<std::string> rest;
  EXPECT_EQ(FindCommand(*root, {"lease", "grant", "10"}, &rest)->Path(), "etcdctl lease grant");
  EXPECT_EQ(rest, (std::vector<std::string>{"10"}));
  EXPECT_EQ(FindCommand(*root, {"le", "gr", "10"}, &rest)->Path(), "etcdctl lease grant");
  // The value of a global flag is not a command word.
  EXPECT_EQ(FindCommand(*root, {"--endpoints", "get", "put", "k"}, &rest)->Path(), "etcdctl put");
  // An ambiguous prefix finds nothing below the root.
  EXPECT_EQ(FindCommand(*root, {"m"}, &rest)->Path(), "etcdctl");
}

TEST(UsageText, EtcdctlTemplate) {
  auto root = NewRootCommand();
  std::vector<std::string> rest;
  Command* grant = FindCommand(*root, {"lease", "grant"}, &rest);
  grant->flags.AddBool("help", false, "help for grant", "h");
  std::string usage = UsageText(*grant);
  EXPECT_EQ(
      usage.substr(0, usage.find("GLOBAL OPTIONS")),
      "NAME:\n\tlease grant - Creates leases\n\nUSAGE:\n\tetcdctl lease grant <ttl> [flags]\n\n"
      "OPTIONS:\n  -h, --help[=false]\thelp for grant\n\n");
}

TEST(CobraDefaultUsage, PflagColumns) {
  auto root = NewRootCommand();
  std::vector<std::string> rest;
  Command* del = FindCommand(*root, {"del"}, &rest);
  EXPECT_EQ(CobraDefaultUsage(*del),
            "Usage:\n   del [options] <key> [range_end] [flags]\n\nFlags:\n"
            "      --from-key   delete keys that are greater than or equal to the given key using "
            "byte compare\n"
            "      --prefix     delete keys with matching prefix\n"
            "      --prev-kv    return deleted key-value pairs\n");
}

}  // namespace
}  // namespace etcdpp::etcdctl

namespace etcdpp::etcdctl {
namespace {

TEST(RunWithApiVersion, V3ByDefaultV2ByNameOthersUnsupported) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(RunWithApiVersion("", {"version"}), kExitSuccess);
  EXPECT_EQ(RunWithApiVersion("3", {"version"}), kExitSuccess);
  testing::internal::GetCapturedStdout();
  // ETCDCTL_API=2: the v2 command set (v2/ctl.h), whose --version names API version 2.
  testing::internal::CaptureStdout();
  EXPECT_EQ(RunWithApiVersion("2", {"--version"}), kExitSuccess);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "etcdctl version: 3.4.23\nAPI version: 2\n");
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunWithApiVersion("4", {"get", "k"}), kExitError);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "unsupported API version 4\n");
}

}  // namespace
}  // namespace etcdpp::etcdctl
