#include "server/membership/membership.h"

#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

// etcd's well-known IDs for a default single member (`etcd` with no flags).
TEST(MembershipTest, IdsMatchEtcdForTheDefaultMember) {
  absl::StatusOr<std::vector<Member>> ms =
      ParseInitialCluster("default=http://localhost:2380", "etcd-cluster");
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ((*ms)[0].id, 0x8e9e05c52164694dULL);
  EXPECT_EQ(ComputeClusterId({(*ms)[0].id}), 0xcdf818194e3a8c32ULL);
}

TEST(MembershipTest, MemberRecordRoundTrips) {
  Member m{.id = 42,
           .name = "a",
           .peer_urls = {"http://h:1"},
           .client_urls = {"http://h:2"},
           .is_learner = true};
  absl::StatusOr<Member> back = DecodeMember(EncodeMember(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, 42u);
  EXPECT_EQ(back->name, "a");
  EXPECT_EQ(back->peer_urls, m.peer_urls);
  EXPECT_EQ(back->client_urls, m.client_urls);
  EXPECT_TRUE(back->is_learner);
}

TEST(MembershipTest, MalformedInitialClusterIsAnError) {
  EXPECT_FALSE(ParseInitialCluster("default", "t").ok());
  EXPECT_FALSE(ParseInitialCluster("=http://h:1", "t").ok());
}

}  // namespace
}  // namespace etcdpp::server
