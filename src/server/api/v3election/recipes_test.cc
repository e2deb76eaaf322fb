#include "server/api/v3election/recipes.h"

#include "gtest/gtest.h"

namespace etcdpp::server::recipes {
namespace {
namespace pb = ::etcdserverpb;

TEST(RecipesTest, OwnKeyIsThePrefixAndTheLeaseInLowerCaseHex) {
  EXPECT_EQ(OwnKey("e/", 0x694d77aa9e38260fLL), "e/694d77aa9e38260f");
  EXPECT_EQ(OwnKey("e/", 10), "e/a");
  EXPECT_EQ(OwnKey("e/", -31), "e/-1f");  // Go's %x of a negative int64
}

TEST(RecipesTest, PrefixEndIncrementsTheLastByteThatCan) {
  EXPECT_EQ(PrefixEnd("a/"), "a0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

TEST(RecipesTest, CampaignPutsWithTheLeaseOnlyIfTheKeyIsNew) {
  pb::TxnRequest t = CampaignTxn("e/a", "v", 10);
  ASSERT_EQ(t.compare_size(), 1);
  EXPECT_EQ(t.compare(0).target(), pb::Compare::CREATE);
  EXPECT_EQ(t.compare(0).result(), pb::Compare::EQUAL);
  EXPECT_EQ(t.compare(0).create_revision(), 0);
  ASSERT_EQ(t.success_size(), 1);
  EXPECT_EQ(t.success(0).request_put().key(), "e/a");
  EXPECT_EQ(t.success(0).request_put().value(), "v");
  EXPECT_EQ(t.success(0).request_put().lease(), 10);
  ASSERT_EQ(t.failure_size(), 1);
  EXPECT_EQ(t.failure(0).request_range().key(), "e/a");
}

TEST(RecipesTest, ProclaimAndResignAreFencedByTheCreateRevision) {
  pb::TxnRequest p = ProclaimTxn("e/a", 7, "v2", 10);
  EXPECT_EQ(p.compare(0).create_revision(), 7);
  EXPECT_EQ(p.success(0).request_put().value(), "v2");
  EXPECT_EQ(p.failure_size(), 0);
  pb::TxnRequest r = ResignTxn("e/a", 7);
  EXPECT_EQ(r.compare(0).create_revision(), 7);
  EXPECT_EQ(r.success(0).request_delete_range().key(), "e/a");
  EXPECT_EQ(r.success(0).request_delete_range().range_end(), "");
}

TEST(RecipesTest, OwnerAndPredecessorReadsSortByCreateRevision) {
  pb::RangeRequest first = FirstCreated("e/");
  EXPECT_EQ(first.key(), "e/");
  EXPECT_EQ(first.range_end(), "e0");
  EXPECT_EQ(first.sort_target(), pb::RangeRequest::CREATE);
  EXPECT_EQ(first.sort_order(), pb::RangeRequest::ASCEND);
  EXPECT_EQ(first.limit(), 1);
  pb::RangeRequest last = LastCreatedUpTo("e/", 41);
  EXPECT_EQ(last.sort_order(), pb::RangeRequest::DESCEND);
  EXPECT_EQ(last.max_create_revision(), 41);
  EXPECT_EQ(last.limit(), 1);
}

pb::TxnResponse Answer(bool succeeded, int64_t rev, int64_t own_create, int64_t owner_create) {
  pb::TxnResponse r;
  r.set_succeeded(succeeded);
  r.mutable_header()->set_revision(rev);
  if (succeeded) {
    r.add_responses()->mutable_response_put();
  } else {
    auto* kv = r.add_responses()->mutable_response_range()->add_kvs();
    kv->set_create_revision(own_create);
    kv->set_value("old");
  }
  if (owner_create != 0) {
    r.add_responses()->mutable_response_range()->add_kvs()->set_create_revision(owner_create);
  }
  return r;
}

TEST(RecipesTest, OwnRevisionIsTheTxnsWhenItCreatedTheKeyElseTheKeysCreateRevision) {
  int64_t rev = 0;
  ASSERT_TRUE(OwnRevision(Answer(true, 12, 0, 0), &rev).ok());
  EXPECT_EQ(rev, 12);
  ASSERT_TRUE(OwnRevision(Answer(false, 12, 5, 0), &rev).ok());
  EXPECT_EQ(rev, 5);
  EXPECT_EQ(FoundValue(Answer(false, 12, 5, 0)), "old");
  EXPECT_EQ(FoundValue(Answer(true, 12, 0, 0)), "");
  pb::TxnResponse odd;  // failed, but no range: not the recipe's answer
  EXPECT_EQ(OwnRevision(odd, &rev).code(), absl::StatusCode::kInternal);
}

TEST(RecipesTest, TheLockIsHeldWhenNoKeyWasCreatedBeforeOurs) {
  EXPECT_TRUE(LockHeld(Answer(true, 12, 0, 12), 12));
  EXPECT_FALSE(LockHeld(Answer(true, 12, 0, 9), 12));
  EXPECT_TRUE(LockHeld(Answer(false, 12, 5, 5), 5));  // this session holds it already
  pb::TxnRequest t = LockTxn("l/a", "l/", 10);
  EXPECT_EQ(t.success(1).request_range().key(), "l/");
  EXPECT_EQ(t.failure(1).request_range().sort_order(), pb::RangeRequest::ASCEND);
}

TEST(RecipesTest, ErrorsAreAnsweredAsEtcdsServicesDo) {
  grpc::Status s = ToRecipeGrpcStatus(ErrNotLeader());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(s.error_message(), "election: not leader");
  s = ToRecipeGrpcStatus(ErrMissingLeaderKey());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(s.error_message(), "\"leader\" field must be provided");
  EXPECT_EQ(ToRecipeGrpcStatus(ErrNoLeader()).error_message(), "election: no leader");
  // The member's own errors keep etcd's text but not their code.
  s = ToRecipeGrpcStatus(absl::NotFoundError("requested lease not found"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(s.error_message(), "etcdserver: requested lease not found");
  EXPECT_EQ(ToRecipeGrpcStatus(absl::CancelledError("x")).error_code(),
            grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace etcdpp::server::recipes
