#include "txn_parser.h"

#include <gtest/gtest.h>

#include <sstream>

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::Compare;

TEST(Argify, QuotedAndBareWords) {
  std::vector<std::string> w;
  ASSERT_TRUE(Argify("put \"a key\" \"v\\tx\"  bare", &w));
  EXPECT_EQ(w, (std::vector<std::string>{"put", "a key", "v\tx", "bare"}));
}

TEST(Argify, SingleQuotesAreCutByTheWordCountAsEtcdctl34Does) {
  std::vector<std::string> w;
  ASSERT_TRUE(Argify("put 'foo' bar", &w));
  EXPECT_EQ(w[1], "f");  // args[i][1:len(args)-1] with len(args) == 3
}

TEST(ParseCompare, Targets) {
  Compare c;
  CtlError err;
  ASSERT_TRUE(ParseCompare("value(\"k\") = \"v\"", &c, &err));
  EXPECT_EQ(c.target(), Compare::VALUE);
  EXPECT_EQ(c.result(), Compare::EQUAL);
  EXPECT_EQ(c.value(), "v");
  ASSERT_TRUE(ParseCompare("mod(\"k\") < \"12\"", &c, &err));
  EXPECT_EQ(c.target(), Compare::MOD);
  EXPECT_EQ(c.result(), Compare::LESS);
  EXPECT_EQ(c.mod_revision(), 12);
  ASSERT_TRUE(ParseCompare("c(\"k\") != \"0\"", &c, &err));
  EXPECT_EQ(c.target(), Compare::CREATE);
  EXPECT_EQ(c.result(), Compare::NOT_EQUAL);
  ASSERT_TRUE(ParseCompare("ver(\"k\") > \"3\"", &c, &err));
  EXPECT_EQ(c.version(), 3);
}

TEST(ParseCompare, EtcdctlErrorTexts) {
  Compare c;
  CtlError err;
  EXPECT_FALSE(ParseCompare("nothing", &c, &err));
  EXPECT_EQ(err.message, "malformed comparison: nothing");
  EXPECT_EQ(err.code, kExitInvalidInput);
  EXPECT_FALSE(ParseCompare("value(\"t1\" = \"v1\"", &c, &err));
  EXPECT_EQ(err.message, "malformed comparison: value(\"t1\" = \"v1\"; got value(\"t1\")  \"\"");
  EXPECT_FALSE(ParseCompare("bogus(\"k\") = \"v\"", &c, &err));
  EXPECT_EQ(err.message, "malformed comparison: bogus(\"k\") = \"v\" (unknown target bogus)");
  EXPECT_FALSE(ParseCompare("ver(\"k\") = \"x\"", &c, &err));
  EXPECT_EQ(err.message, "invalid txn compare request: ver(\"k\") = \"x\"");
}

TEST(ParseRequestLine, PutGetDelWithFlags) {
  etcdserverpb::RequestOp op;
  CtlError err;
  ASSERT_TRUE(ParseRequestLine("get a --prefix --limit 2", &op, &err));
  EXPECT_EQ(op.request_range().key(), "a");
  EXPECT_EQ(op.request_range().range_end(), "b");
  EXPECT_EQ(op.request_range().limit(), 2);
  op.Clear();
  ASSERT_TRUE(ParseRequestLine("put k v --prev-kv", &op, &err));
  EXPECT_TRUE(op.request_put().prev_kv());
  op.Clear();
  ASSERT_TRUE(ParseRequestLine("del k --from-key", &op, &err));
  EXPECT_EQ(op.request_delete_range().range_end(), std::string(1, '\0'));
  EXPECT_FALSE(ParseRequestLine("frob k", &op, &err));
  EXPECT_EQ(err.message, "invalid txn request: frob k");
  EXPECT_FALSE(ParseRequestLine("put", &op, &err));
  EXPECT_EQ(err.message, "invalid txn compare request: put");
}

TEST(ReadTxn, ThreeSectionsEachEndedByAnEmptyLine) {
  std::istringstream in("value(\"a\") = \"1\"\n\nput a 2\n\nget a\n\n");
  etcdserverpb::TxnRequest txn;
  CtlError err;
  ASSERT_TRUE(ReadTxn(in, false, &txn, &err));
  EXPECT_EQ(txn.compare_size(), 1);
  EXPECT_EQ(txn.success_size(), 1);
  EXPECT_EQ(txn.failure_size(), 1);
}

TEST(ReadTxn, InputEndingInsideASectionIsEof) {
  std::istringstream in("\nput a 2\n");
  etcdserverpb::TxnRequest txn;
  CtlError err;
  EXPECT_FALSE(ReadTxn(in, false, &txn, &err));
  EXPECT_EQ(err.message, "EOF");
  EXPECT_EQ(err.code, kExitInvalidInput);
}

}  // namespace
}  // namespace etcdpp::etcdctl
