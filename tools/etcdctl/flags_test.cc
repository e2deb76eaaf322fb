#include "flags.h"

#include <gtest/gtest.h>

namespace etcdpp::etcdctl {
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

}  // namespace
}  // namespace etcdpp::etcdctl
