#include "kv_ops.h"

#include <gtest/gtest.h>

namespace etcdpp::etcdctl {
namespace {

// Parses `get ARGS...` with get's own flags into a RangeRequest.
bool ParseGet(const std::vector<std::string>& argv, etcdserverpb::RangeRequest* req,
              CtlError* err) {
  auto get = MakeGetCommand(nullptr);
  auto pos = get->flags.Parse(argv);
  EXPECT_TRUE(pos.ok()) << pos.status();
  return pos.ok() && GetOp(get->flags, *pos, req, err);
}

TEST(GetOp, CountOnlySetsTheRequestAndExcludesKeysOnly) {
  etcdserverpb::RangeRequest req;
  CtlError err;
  ASSERT_TRUE(ParseGet({"k", "--prefix", "--count-only"}, &req, &err));
  EXPECT_TRUE(req.count_only());
  EXPECT_FALSE(req.keys_only());
  EXPECT_FALSE(ParseGet({"k", "--count-only", "--keys-only"}, &req, &err));
  EXPECT_EQ(err.code, kExitBadArgs);
  EXPECT_EQ(err.message,
            "`--keys-only` and `--count-only` cannot be set at the same time, choose one");
}

TEST(GetOp, RevisionFiltersAreBoundsWhenPositive) {
  etcdserverpb::RangeRequest req;
  CtlError err;
  ASSERT_TRUE(ParseGet({"k", "--min-create-rev", "3", "--max-create-rev", "9", "--min-mod-rev", "4",
                        "--max-mod-rev", "0"},
                       &req, &err));
  EXPECT_EQ(req.min_create_revision(), 3);
  EXPECT_EQ(req.max_create_revision(), 9);
  EXPECT_EQ(req.min_mod_revision(), 4);
  EXPECT_EQ(req.max_mod_revision(), 0);
}

TEST(GetOp, MinimumAboveMaximumIsRefusedAsEtcd36Does) {
  etcdserverpb::RangeRequest req;
  CtlError err;
  EXPECT_FALSE(ParseGet({"k", "--min-mod-rev", "5", "--max-mod-rev", "4"}, &req, &err));
  EXPECT_EQ(err.code, kExitBadFeature);
  EXPECT_EQ(err.message, "getMinModRev(=5) > getMaxModRev(=4)");
  EXPECT_FALSE(ParseGet({"k", "--min-create-rev", "5", "--max-create-rev", "4"}, &req, &err));
  EXPECT_EQ(err.message, "getMinCreateRev(=5) > getMaxCreateRev(=4)");
}

}  // namespace
}  // namespace etcdpp::etcdctl
