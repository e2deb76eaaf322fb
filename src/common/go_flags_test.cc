#include "common/go_flags.h"

#include <gtest/gtest.h>

namespace etcdpp {
namespace {

class FlagSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.AddBool("prefix", false, "p");
    fs_.Add("limit", "", FlagType::kInt64, "0", "l");
    fs_.AddString("write-out", "simple", "w", "w");
    fs_.AddBool("interactive", false, "i", "i");
    fs_.Add("dial-timeout", "", FlagType::kDuration, "2s", "d");
    fs_.AddStringSlice("endpoints", {"127.0.0.1:2379"}, "e");
  }
  FlagSet fs_;
};

TEST_F(FlagSetTest, LongFormsAndInterspersedPositionals) {
  auto pos = fs_.Parse({"a", "--prefix", "--limit", "5", "b", "--write-out=json"});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(fs_.GetBool("prefix"));
  EXPECT_EQ(fs_.GetInt64("limit"), 5);
  EXPECT_EQ(fs_.GetString("write-out"), "json");
}

TEST_F(FlagSetTest, ShorthandForms) {
  ASSERT_TRUE(fs_.Parse({"-wjson"}).ok());
  EXPECT_EQ(fs_.GetString("write-out"), "json");
  ASSERT_TRUE(fs_.Parse({"-w=fields"}).ok());
  EXPECT_EQ(fs_.GetString("write-out"), "fields");
  ASSERT_TRUE(fs_.Parse({"-iw", "table"}).ok());
  EXPECT_TRUE(fs_.GetBool("interactive"));
  EXPECT_EQ(fs_.GetString("write-out"), "table");
}

TEST_F(FlagSetTest, BoolTakesNoSeparateValue) {
  auto pos = fs_.Parse({"--prefix", "false"});
  ASSERT_TRUE(pos.ok());
  EXPECT_TRUE(fs_.GetBool("prefix"));
  EXPECT_EQ(*pos, (std::vector<std::string>{"false"}));
  ASSERT_TRUE(fs_.Parse({"--prefix=false"}).ok());
  EXPECT_FALSE(fs_.GetBool("prefix"));
}

TEST_F(FlagSetTest, DoubleDashEndsFlags) {
  auto pos = fs_.Parse({"--", "-dash", "--prefix"});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, (std::vector<std::string>{"-dash", "--prefix"}));
  EXPECT_FALSE(fs_.GetBool("prefix"));
}

TEST_F(FlagSetTest, PflagErrorTexts) {
  EXPECT_EQ(fs_.Parse({"--foo"}).status().message(), "unknown flag: --foo");
  EXPECT_EQ(fs_.Parse({"-x"}).status().message(), "unknown shorthand flag: 'x' in -x");
  EXPECT_EQ(fs_.Parse({"-pw"}).status().message(), "unknown shorthand flag: 'p' in -pw");
  EXPECT_EQ(fs_.Parse({"--limit"}).status().message(), "flag needs an argument: --limit");
  EXPECT_EQ(fs_.Parse({"-w"}).status().message(), "flag needs an argument: 'w' in -w");
  EXPECT_EQ(fs_.Parse({"--limit", "abc"}).status().message(),
            "invalid argument \"abc\" for \"--limit\" flag: strconv.ParseInt: parsing \"abc\": "
            "invalid syntax");
  EXPECT_EQ(fs_.Parse({"--prefix=x"}).status().message(),
            "invalid argument \"x\" for \"--prefix\" flag: strconv.ParseBool: parsing \"x\": "
            "invalid syntax");
  EXPECT_EQ(fs_.Parse({"--dial-timeout=x"}).status().message(),
            "invalid argument \"x\" for \"--dial-timeout\" flag: time: invalid duration \"x\"");
}

TEST_F(FlagSetTest, DurationsKeepGoForm) {
  ASSERT_TRUE(fs_.Parse({"--dial-timeout=1500ms"}).ok());
  EXPECT_EQ(fs_.Lookup("dial-timeout")->value, "1.5s");
  EXPECT_EQ(fs_.GetDuration("dial-timeout"), absl::Milliseconds(1500));
}

TEST_F(FlagSetTest, StringSliceReplacesDefaultThenAppends) {
  ASSERT_TRUE(fs_.Parse({"--endpoints=a:1,b:2", "--endpoints", "c:3"}).ok());
  EXPECT_EQ(fs_.GetStringSlice("endpoints"), (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_EQ(fs_.Lookup("endpoints")->value, "[a:1,b:2,c:3]");
}

TEST(SplitSliceValue, CsvQuoting) {
  EXPECT_EQ(SplitSliceValue("a,\"b,c\",d"), (std::vector<std::string>{"a", "b,c", "d"}));
  EXPECT_TRUE(SplitSliceValue("").empty());
}

TEST_F(FlagSetTest, CommandWordsSkipFlagValues) {
  EXPECT_EQ(fs_.CommandWords({"-w", "json", "snapshot", "--prefix", "status", "--unknown", "v",
                              "--limit=3", "f", "--", "after"}),
            (std::vector<std::string>{"snapshot", "status", "f"}));
}

// Go's flag package, as etcd's server parses its command line.
class GoFlagSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.AddString("name", "default", "n");
    fs_.AddBool("force", false, "f");
    fs_.Add("count", "", FlagType::kInt64, "0", "c");
  }
  FlagSet fs_{FlagSyntax::kGoFlag};
};

TEST_F(GoFlagSetTest, OneOrTwoDashesAndBothValueForms) {
  auto pos = fs_.Parse({"-name", "a", "--count=3", "--force"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_TRUE(pos->empty());
  EXPECT_EQ(fs_.GetString("name"), "a");
  EXPECT_EQ(fs_.GetInt64("count"), 3);
  EXPECT_TRUE(fs_.GetBool("force"));
  ASSERT_TRUE(fs_.Parse({"--name=b", "-force=false"}).ok());
  EXPECT_EQ(fs_.GetString("name"), "b");
  EXPECT_FALSE(fs_.GetBool("force"));
  // A value may begin with a dash.
  ASSERT_TRUE(fs_.Parse({"--name", "-x"}).ok());
  EXPECT_EQ(fs_.GetString("name"), "-x");
}

TEST_F(GoFlagSetTest, StopsAtTheFirstPositionalAndAfterDoubleDash) {
  auto pos = fs_.Parse({"--force", "false", "--name", "x"});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, (std::vector<std::string>{"false", "--name", "x"}));
  EXPECT_TRUE(fs_.GetBool("force"));
  EXPECT_FALSE(fs_.Changed("name"));
  pos = fs_.Parse({"--", "--name"});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, (std::vector<std::string>{"--name"}));
  pos = fs_.Parse({"-", "x"});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, (std::vector<std::string>{"-", "x"}));
}

TEST_F(GoFlagSetTest, GoErrorTexts) {
  EXPECT_EQ(fs_.Parse({"--nope"}).status().message(), "flag provided but not defined: -nope");
  EXPECT_EQ(fs_.Parse({"-n", "x"}).status().message(), "flag provided but not defined: -n");
  EXPECT_EQ(fs_.Parse({"--name"}).status().message(), "flag needs an argument: -name");
  EXPECT_EQ(fs_.Parse({"---name"}).status().message(), "bad flag syntax: ---name");
  EXPECT_EQ(fs_.Parse({"-=x"}).status().message(), "bad flag syntax: -=x");
  EXPECT_EQ(fs_.Parse({"--force=yes"}).status().message(),
            "invalid boolean value \"yes\" for -force: parse error");
  EXPECT_EQ(fs_.Parse({"--count=x"}).status().message(),
            "invalid value \"x\" for flag -count: parse error");
}

}  // namespace
}  // namespace etcdpp
