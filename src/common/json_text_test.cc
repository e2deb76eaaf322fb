#include "common/json_text.h"

#include <string>

#include "gtest/gtest.h"

namespace etcdpp {
namespace {

TEST(Utf8SequenceLengthTest, AcceptsOnlyWellFormedSequences) {
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9x"), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC"), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x94\x91"), 4u);
  for (std::string bad : {"\x80", "\xC0\xAF", "\xC3", "\xE0\x80\xAF", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "\xF0\x9F\x94", "\xFF"}) {
    EXPECT_EQ(Utf8SequenceLength(bad), 0u) << bad;
  }
}

TEST(JsonQuoteTest, EscapesAsZapAndGoDo) {
  EXPECT_EQ(JsonQuote("plain"), R"("plain")");
  EXPECT_EQ(JsonQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonQuote(std::string("\n\r\t\x01\x1f", 5)), R"("\n\r\t\u0001\u001f")");
  EXPECT_EQ(JsonQuote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_FALSE(JsonQuote("a\xFF").has_value());
}

TEST(JsonQuoteTest, LossyFormReplacesEachIllFormedByte) {
  std::string out = "x";
  AppendJsonQuoteLossy("a\xFF\xC3\"\xC3\xA9", &out);
  EXPECT_EQ(out, "x\"a\\ufffd\\ufffd\\\"\xC3\xA9\"");
}

// The value as etcd 3.4.23's v2 API answered it (PUT /v2/keys/u2 with these bytes).
TEST(JsonQuoteTest, GoFormEscapesHtmlAndLineSeparatorsAsEtcd) {
  std::string out;
  AppendGoJsonQuote("<&>\x7f\x08\xff\xC3\xA9\xE2\x80\xA9\xE2\x80\xA8\n", &out);
  EXPECT_EQ(out, "\"\\u003c\\u0026\\u003e\x7f\\u0008\\ufffd\xC3\xA9\\u2029\\u2028\\n\"");
}

}  // namespace
}  // namespace etcdpp
