#include "v2/cli.h"

#include <gtest/gtest.h>

namespace etcdpp::etcdctl::v2 {
namespace {

TEST(V2Cli, FlagHelpAsUrfaveWritesIt) {
  EXPECT_EQ(FlagHelp({"output, o", FlagKind::kString, "simple",
                      "output response in the given format (`simple`, `extended` or `json`)"}),
            "--output simple, -o simple\toutput response in the given format (simple, "
            "`extended` or `json`) (default: \"simple\")");
  EXPECT_EQ(FlagHelp({"ttl", FlagKind::kInt, "0", "key time-to-live in seconds"}),
            "--ttl value\tkey time-to-live in seconds (default: 0)");
  EXPECT_EQ(FlagHelp({"p", FlagKind::kBool, "", "append slash (/) to directories"}),
            "-p\tappend slash (/) to directories");
  EXPECT_EQ(FlagHelp({"with-value", FlagKind::kString, "", "previous value"}),
            "--with-value value\tprevious value");
}

TEST(V2Cli, CommandHelpAlignsOptions) {
  CliCommand c{"rm",
               "remove a key or a directory",
               "<key>",
               "",
               {{"dir", FlagKind::kBool, "", "d"}, {"with-index", FlagKind::kInt, "0", "i"}},
               nullptr,
               {}};
  EXPECT_EQ(CommandHelp("etcdctl rm", c),
            "NAME:\n   etcdctl rm - remove a key or a directory\n\nUSAGE:\n   etcdctl rm "
            "[command options] <key>\n\nOPTIONS:\n   --dir               d\n"
            "   --with-index value  i (default: 0)\n   \n");
}

TEST(V2Cli, ReorderArgsMovesKnownFlagsFirst) {
  std::vector<FlagSpec> flags{{"ttl", FlagKind::kInt, "0", ""},
                              {"recursive, r", FlagKind::kBool, "", ""}};
  using V = std::vector<std::string>;
  EXPECT_EQ(ReorderArgs(flags, {"/foo", "bar", "--ttl", "5"}), (V{"--ttl", "5", "/foo", "bar"}));
  // An unknown flag stays an argument; "--" keeps what follows in place.
  EXPECT_EQ(ReorderArgs(flags, {"foo", "-x"}), (V{"foo", "-x"}));
  EXPECT_EQ(ReorderArgs(flags, {"a", "--", "-r", "b"}), (V{"--", "a", "-r", "b"}));
  EXPECT_EQ(ReorderArgs(flags, {"a", "-r", "--ttl=3", "b"}), (V{"-r", "--ttl=3", "a", "b"}));
}

}  // namespace
}  // namespace etcdpp::etcdctl::v2
