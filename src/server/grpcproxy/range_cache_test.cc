#include "server/grpcproxy/range_cache.h"

#include <string>

#include "gtest/gtest.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

const std::string kFromKey(1, '\0');

pb::RangeRequest Req(const std::string& key, const std::string& end = "", int64_t rev = 0) {
  pb::RangeRequest r;
  r.set_key(key);
  r.set_range_end(end);
  r.set_revision(rev);
  r.set_serializable(true);
  return r;
}

pb::RangeResponse Resp(int64_t rev, const std::string& value) {
  pb::RangeResponse r;
  r.mutable_header()->set_revision(rev);
  r.add_kvs()->set_value(value);
  return r;
}

TEST(RangesOverlapTest, PointsRangesAndFromKey) {
  EXPECT_TRUE(RangesOverlap("a", "", "a", ""));
  EXPECT_FALSE(RangesOverlap("a", "", "b", ""));
  EXPECT_FALSE(RangesOverlap("a", "", "a\x01", ""));
  EXPECT_TRUE(RangesOverlap("a", "c", "b", ""));
  EXPECT_FALSE(RangesOverlap("a", "c", "c", ""));  // the end is not in the range
  EXPECT_TRUE(RangesOverlap("a", "c", "b", "z"));
  EXPECT_FALSE(RangesOverlap("a", "b", "b", "c"));
  EXPECT_TRUE(RangesOverlap("m", kFromKey, "z", ""));
  EXPECT_FALSE(RangesOverlap("m", kFromKey, "a", "m"));
  EXPECT_TRUE(RangesOverlap("m", kFromKey, "a", kFromKey));
  EXPECT_TRUE(RangesOverlap(kFromKey, kFromKey, "anything", ""));  // every key
}

TEST(RangeCacheTest, HitsTheSameRequestInTheSameScopeOnly) {
  RangeCache c;
  pb::RangeResponse out;
  EXPECT_EQ(c.Get("s", Req("k"), &out), RangeCache::Lookup::kMiss);
  c.Add("s", Req("k"), Resp(5, "v"));
  ASSERT_EQ(c.Get("s", Req("k"), &out), RangeCache::Lookup::kHit);
  EXPECT_EQ(out.kvs(0).value(), "v");
  // A linearizable request of the same range is the same entry.
  pb::RangeRequest lin = Req("k");
  lin.set_serializable(false);
  EXPECT_EQ(c.Get("s", lin, &out), RangeCache::Lookup::kHit);
  // Another caller scope (auth token), another option: not the same.
  EXPECT_EQ(c.Get("other", Req("k"), &out), RangeCache::Lookup::kMiss);
  pb::RangeRequest limited = Req("k");
  limited.set_limit(1);
  EXPECT_EQ(c.Get("s", limited, &out), RangeCache::Lookup::kMiss);
  EXPECT_EQ(c.size(), 1u);
}

TEST(RangeCacheTest, WritesInvalidateTheCurrentReadsTheyTouch) {
  RangeCache c;
  pb::RangeResponse out;
  c.Add("s", Req("a"), Resp(5, "1"));
  c.Add("s", Req("b", "d"), Resp(5, "2"));
  c.Add("t", Req("c"), Resp(5, "3"));
  c.Add("s", Req("x", kFromKey), Resp(5, "4"));
  c.Add("s", Req("c", "", 4), Resp(5, "old"));  // a fixed revision never changes
  c.Invalidate("c", "");
  EXPECT_EQ(c.Get("s", Req("a"), &out), RangeCache::Lookup::kHit);
  EXPECT_EQ(c.Get("s", Req("b", "d"), &out), RangeCache::Lookup::kMiss);
  EXPECT_EQ(c.Get("t", Req("c"), &out), RangeCache::Lookup::kMiss);  // every scope
  EXPECT_EQ(c.Get("s", Req("x", kFromKey), &out), RangeCache::Lookup::kHit);
  EXPECT_EQ(c.Get("s", Req("c", "", 4), &out), RangeCache::Lookup::kHit);
  c.Invalidate("z", "zz");
  EXPECT_EQ(c.Get("s", Req("x", kFromKey), &out), RangeCache::Lookup::kMiss);

  // A txn: its compares, and the puts and deletes of both branches, nested ones too.
  c.Add("s", Req("p"), Resp(6, "p"));
  c.Add("s", Req("q"), Resp(6, "q"));
  c.Add("s", Req("r"), Resp(6, "r"));
  c.Add("s", Req("u"), Resp(6, "u"));
  pb::TxnRequest txn;
  txn.add_compare()->set_key("p");
  txn.add_failure()->mutable_request_delete_range()->set_key("q");
  pb::TxnRequest* nested = txn.add_success()->mutable_request_txn();
  nested->add_success()->mutable_request_put()->set_key("r");
  txn.add_success()->mutable_request_range()->set_key("u");  // a read: nothing to invalidate
  c.Invalidate(txn);
  EXPECT_EQ(c.Get("s", Req("p"), &out), RangeCache::Lookup::kMiss);
  EXPECT_EQ(c.Get("s", Req("q"), &out), RangeCache::Lookup::kMiss);
  EXPECT_EQ(c.Get("s", Req("r"), &out), RangeCache::Lookup::kMiss);
  EXPECT_EQ(c.Get("s", Req("u"), &out), RangeCache::Lookup::kHit);
}

TEST(RangeCacheTest, CompactionFailsOlderRevisions) {
  RangeCache c;
  pb::RangeResponse out;
  c.Add("s", Req("k", "", 3), Resp(9, "v3"));
  c.Add("s", Req("k"), Resp(9, "v9"));
  c.Compact(5);
  EXPECT_EQ(c.Get("s", Req("k", "", 3), &out), RangeCache::Lookup::kCompacted);
  EXPECT_EQ(c.Get("s", Req("k", "", 5), &out), RangeCache::Lookup::kMiss);  // still readable
  EXPECT_EQ(c.Get("s", Req("k"), &out), RangeCache::Lookup::kHit);
  c.Add("s", Req("k", "", 4), Resp(9, "v4"));  // not kept
  EXPECT_EQ(c.Get("s", Req("k", "", 4), &out), RangeCache::Lookup::kCompacted);
  c.Compact(2);  // never goes back
  EXPECT_EQ(c.Get("s", Req("k", "", 4), &out), RangeCache::Lookup::kCompacted);
}

TEST(RangeCacheTest, EvictsTheLeastRecentlyUsed) {
  RangeCache c(2);
  pb::RangeResponse out;
  c.Add("s", Req("a"), Resp(1, "a"));
  c.Add("s", Req("b"), Resp(1, "b"));
  ASSERT_EQ(c.Get("s", Req("a"), &out), RangeCache::Lookup::kHit);  // a is now the newest
  c.Add("s", Req("c"), Resp(1, "c"));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.Get("s", Req("b"), &out), RangeCache::Lookup::kMiss);
  EXPECT_EQ(c.Get("s", Req("a"), &out), RangeCache::Lookup::kHit);
  EXPECT_EQ(c.Get("s", Req("c"), &out), RangeCache::Lookup::kHit);
  // The same request again replaces its answer.
  c.Add("s", Req("c"), Resp(2, "c2"));
  ASSERT_EQ(c.Get("s", Req("c"), &out), RangeCache::Lookup::kHit);
  EXPECT_EQ(out.kvs(0).value(), "c2");
  EXPECT_EQ(c.size(), 2u);
}

}  // namespace
}  // namespace etcdpp::server::grpcproxy
