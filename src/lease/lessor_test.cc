#include "lease/lessor.h"

#include <unistd.h>

#include <filesystem>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lease/errors.h"

namespace etcdpp::lease {
namespace {

constexpr int64_t kSec = 1000000;

class LessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("lease_test_", getpid(), "_", info->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    lessor_.reset();
    be_.reset();
    std::filesystem::remove_all(dir_);
  }

  Options Opts() {
    Options o;
    o.min_ttl = 2;
    o.checkpoint_interval = absl::Seconds(10);
    o.expired_retry_interval = absl::Seconds(3);
    o.now_us = [this] { return now_; };
    return o;
  }

  void Reopen() {
    lessor_.reset();
    be_.reset();
    backend::Options bo;
    bo.dir = dir_.string();
    bo.map_size = size_t{1} << 28;
    bo.background_commits = false;
    auto be = backend::Backend::Open(bo);
    ASSERT_TRUE(be.ok()) << be.status();
    be_ = std::move(*be);
    auto l = Lessor::Open(be_.get(), Opts());
    ASSERT_TRUE(l.ok()) << l.status();
    lessor_ = std::move(*l);
  }

  absl::StatusOr<LeaseInfo> Grant(LeaseId id, int64_t ttl) {
    backend::BatchTx tx(be_.get());
    return lessor_->Grant(id, ttl, &tx);
  }
  std::vector<std::string> Revoke(LeaseId id, absl::Status* st) {
    std::vector<std::string> deleted;
    int calls = 0;
    backend::BatchTx tx(be_.get());
    *st = lessor_->Revoke(id, &tx, [&](const std::vector<std::string>& keys) {
      ++calls;
      deleted = keys;
    });
    if (st->ok()) {
      EXPECT_EQ(calls, 1);  // one deletion call: one revision
    }
    return deleted;
  }
  void Checkpoint(LeaseId id, int64_t remaining) {
    backend::BatchTx tx(be_.get());
    lessor_->Checkpoint(id, remaining, &tx);
  }

  int64_t now_ = 1000 * kSec;
  std::filesystem::path dir_;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<Lessor> lessor_;
};

TEST_F(LessorTest, GrantAppliesEtcdRules) {
  EXPECT_TRUE(IsLeaseNotFound(Grant(kNoLease, 10).status()));
  EXPECT_EQ(Grant(1, kMaxLeaseTtl + 1).status(), LeaseTtlTooLargeError());
  auto g = Grant(1, 1);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->ttl, 2);  // the minimum TTL
  EXPECT_EQ(Grant(1, 10).status(), LeaseExistsError());
  ASSERT_TRUE(Grant(2, kMaxLeaseTtl).ok());
  EXPECT_TRUE(lessor_->Exists(1));
  EXPECT_FALSE(lessor_->Exists(3));
}

TEST_F(LessorTest, OnlyThePrimaryRenewsAndExpires) {
  ASSERT_TRUE(Grant(1, 5).ok());
  EXPECT_TRUE(IsNotPrimary(lessor_->Renew(1).status()));
  now_ += 100 * kSec;
  EXPECT_TRUE(lessor_->FindExpired(10).empty());  // not primary: leases live forever
  lessor_->Promote(absl::Seconds(1));
  EXPECT_TRUE(IsLeaseNotFound(lessor_->Renew(7).status()));
  now_ += 5 * kSec;
  EXPECT_TRUE(lessor_->FindExpired(10).empty());  // the promotion grace still holds
  now_ += 1 * kSec;
  EXPECT_EQ(lessor_->FindExpired(10), std::vector<LeaseId>{1});
  lessor_->Demote();
  EXPECT_TRUE(lessor_->FindExpired(10).empty());
  EXPECT_FALSE(lessor_->NextDeadlineUs().has_value());
}

TEST_F(LessorTest, RenewExtendsFromTheLastKeepalive) {
  lessor_->Promote(absl::ZeroDuration());
  ASSERT_TRUE(Grant(1, 10).ok());
  now_ += 9 * kSec;
  ASSERT_EQ(*lessor_->Renew(1), 10);
  now_ += 10 * kSec - 1;
  EXPECT_TRUE(lessor_->FindExpired(10).empty());  // never earlier than TTL after the renewal
  EXPECT_EQ(*lessor_->NextDeadlineUs(), 1);
  now_ += 1;
  EXPECT_EQ(lessor_->FindExpired(10), std::vector<LeaseId>{1});
  EXPECT_TRUE(IsLeaseNotFound(lessor_->Renew(1).status()));  // expired stays expired
}

TEST_F(LessorTest, ExpiredLeasesAreReportedAgainAfterTheRetryInterval) {
  lessor_->Promote(absl::ZeroDuration());
  ASSERT_TRUE(Grant(1, 2).ok());
  now_ += 2 * kSec;
  EXPECT_EQ(lessor_->FindExpired(10).size(), 1u);
  EXPECT_TRUE(lessor_->FindExpired(10).empty());
  now_ += 3 * kSec;
  EXPECT_EQ(lessor_->FindExpired(10).size(), 1u);
}

TEST_F(LessorTest, FindExpiredIsBoundedByTheLimit) {
  lessor_->Promote(absl::ZeroDuration());
  for (LeaseId id = 1; id <= 25; ++id) ASSERT_TRUE(Grant(id, 2).ok());
  now_ += 3 * kSec;
  EXPECT_EQ(lessor_->FindExpired(10).size(), 10u);
  EXPECT_EQ(lessor_->FindExpired(10).size(), 10u);
  EXPECT_EQ(lessor_->FindExpired(10).size(), 5u);
}

TEST_F(LessorTest, RevokeDeletesAttachedKeysInOneCall) {
  ASSERT_TRUE(Grant(1, 10).ok());
  ASSERT_TRUE(Grant(2, 10).ok());
  lessor_->Attach(1, "b");
  lessor_->Attach(1, "a");
  lessor_->Attach(2, "c");
  lessor_->Attach(1, "c");  // moves c from lease 2 to lease 1
  lessor_->Attach(1, "d");
  lessor_->Detach("d");
  EXPECT_EQ(lessor_->Lookup(2, true)->keys, std::vector<std::string>{});
  EXPECT_EQ(lessor_->GetLease("c"), 1);
  absl::Status st;
  EXPECT_EQ(Revoke(1, &st), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(lessor_->Exists(1));
  EXPECT_EQ(lessor_->GetLease("a"), kNoLease);
  Revoke(1, &st);
  EXPECT_TRUE(IsLeaseNotFound(st));
}

TEST_F(LessorTest, AttachToAnUnknownLeaseOnlyDetaches) {
  ASSERT_TRUE(Grant(1, 10).ok());
  lessor_->Attach(1, "k");
  lessor_->Attach(99, "k");
  EXPECT_EQ(lessor_->GetLease("k"), kNoLease);
  EXPECT_TRUE(lessor_->Lookup(1, true)->keys.empty());
}

TEST_F(LessorTest, LeasesAreListedBySoonestExpiry) {
  lessor_->Promote(absl::ZeroDuration());
  ASSERT_TRUE(Grant(1, 30).ok());
  ASSERT_TRUE(Grant(2, 10).ok());
  ASSERT_TRUE(Grant(3, 20).ok());
  EXPECT_EQ(lessor_->Leases(), (std::vector<LeaseId>{2, 3, 1}));
  auto info = lessor_->Lookup(3, false);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->ttl, 20);
  EXPECT_EQ(info->remaining_us, 20 * kSec);
  EXPECT_FALSE(lessor_->Lookup(4, false).has_value());
}

TEST_F(LessorTest, CheckpointsCarryTheRemainingTtlToTheNextPrimary) {
  lessor_->Promote(absl::ZeroDuration());
  ASSERT_TRUE(Grant(1, 60).ok());
  ASSERT_TRUE(Grant(2, 5).ok());  // shorter than the interval: never checkpointed
  now_ += 10 * kSec;
  std::vector<CheckpointItem> cps = lessor_->FindDueCheckpoints(100);
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].id, 1);
  EXPECT_EQ(cps[0].remaining_ttl, 50);
  Checkpoint(1, 50);
  EXPECT_TRUE(lessor_->HasCheckpointedRemaining(1));
  // A new primary (say after restart) counts from the checkpoint plus the grace, not 60s.
  ASSERT_TRUE(be_->ForceCommit().ok());
  Reopen();
  EXPECT_TRUE(lessor_->HasCheckpointedRemaining(1));
  lessor_->Promote(absl::Seconds(1));
  EXPECT_EQ(lessor_->Lookup(1, false)->remaining_us, 51 * kSec);
  EXPECT_EQ(lessor_->Lookup(2, false)->remaining_us, 6 * kSec);
  Checkpoint(1, 0);  // a renewal clears it first
  EXPECT_FALSE(lessor_->HasCheckpointedRemaining(1));
  EXPECT_EQ(*lessor_->Renew(1), 60);
  EXPECT_EQ(lessor_->Lookup(1, false)->remaining_us, 60 * kSec);
}

TEST_F(LessorTest, RestartKeepsLeasesButNotRevokedOnes) {
  ASSERT_TRUE(Grant(1, 10).ok());
  ASSERT_TRUE(Grant(2, 20).ok());
  absl::Status st;
  Revoke(2, &st);
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(be_->ForceCommit().ok());
  Reopen();
  EXPECT_TRUE(lessor_->Exists(1));
  EXPECT_FALSE(lessor_->Exists(2));
  EXPECT_EQ(lessor_->Lookup(1, false)->ttl, 10);
  EXPECT_FALSE(lessor_->primary());
}

// A new leader with 3,000 leases due in the same second: etcd's pacing lets at most 750 fall
// due per second (3/4 of the revocation rate), the rest later -- none earlier.
TEST_F(LessorTest, PromotionSpreadsLeasesThatPileUp) {
  constexpr int kLeases = 3000;
  for (LeaseId id = 1; id <= kLeases; ++id) ASSERT_TRUE(Grant(id, 10).ok());
  lessor_->Promote(absl::Seconds(1));
  now_ += 11 * kSec - 1;
  EXPECT_TRUE(lessor_->FindExpired(kLeases).empty());  // TTL plus the grace: none earlier
  absl::flat_hash_set<LeaseId> expired;  // (an unrevoked lease is reported again later)
  for (int second = 0; second < 6; ++second) {
    now_ += kSec;
    const size_t before = expired.size();
    for (LeaseId id : lessor_->FindExpired(kLeases)) expired.insert(id);
    EXPECT_LE(expired.size() - before, 751u) << "second " << second;
  }
  EXPECT_EQ(expired.size(), static_cast<size_t>(kLeases));
}

}  // namespace
}  // namespace etcdpp::lease
