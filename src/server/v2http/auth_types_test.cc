#include "server/v2http/auth_types.h"

#include "gtest/gtest.h"

namespace etcdpp::server::v2http {
namespace {

Role RoleWith(std::string name, NilableList read, NilableList write) {
  Role r;
  r.role = std::move(name);
  r.permissions.kv.read = std::move(read);
  r.permissions.kv.write = std::move(write);
  return r;
}

TEST(V2AuthPermissionTest, TrailingStarIsAPrefixOtherPatternsMatchExactly) {
  Role r = RoleWith("r", std::vector<std::string>{"/foo/*", "/bar"}, std::nullopt);
  EXPECT_TRUE(r.HasKeyAccess("/foo/", false));
  EXPECT_TRUE(r.HasKeyAccess("/foo/a/b", false));
  EXPECT_FALSE(r.HasKeyAccess("/foo", false));  // the prefix is "/foo/"
  EXPECT_TRUE(r.HasKeyAccess("/bar", false));
  EXPECT_FALSE(r.HasKeyAccess("/bar/x", false));
  EXPECT_FALSE(r.HasKeyAccess("/barx", false));
  // Read patterns give no write access.
  EXPECT_FALSE(r.HasKeyAccess("/foo/a", true));
}

TEST(V2AuthPermissionTest, RecursiveAccessNeedsAStarPattern) {
  Role r =
      RoleWith("r", std::vector<std::string>{"/foo/*", "/bar"}, std::vector<std::string>{"/w*"});
  EXPECT_TRUE(r.HasRecursiveAccess("/foo/dir", false));
  EXPECT_FALSE(r.HasRecursiveAccess("/bar", false));  // exact patterns never cover a subtree
  EXPECT_TRUE(r.HasRecursiveAccess("/w/x", true));
  EXPECT_TRUE(r.HasRecursiveAccess("/wx", true));
  EXPECT_FALSE(r.HasRecursiveAccess("/foo/dir", true));
}

TEST(V2AuthPermissionTest, EmptyPatternMatchesNothing) {
  Role r = RoleWith("r", std::vector<std::string>{""}, std::vector<std::string>{""});
  EXPECT_FALSE(r.HasKeyAccess("", false));
  EXPECT_FALSE(r.HasKeyAccess("/a", true));
  EXPECT_FALSE(r.HasRecursiveAccess("/a", true));
}

TEST(V2AuthPermissionTest, RootRoleHasEveryAccessWhateverItsLists) {
  Role root = RoleWith(std::string(kRootRoleName), std::nullopt, std::nullopt);
  EXPECT_TRUE(root.HasKeyAccess("/any", true));
  EXPECT_TRUE(root.HasRecursiveAccess("", true));
  EXPECT_TRUE(RootRole().HasKeyAccess("/x", false));
}

TEST(V2AuthPermissionTest, DefaultGuestReadsAndWritesEveryKeyUnderSlash) {
  const Role guest = DefaultGuestRole();
  EXPECT_EQ(guest.role, kGuestRoleName);
  EXPECT_TRUE(guest.HasKeyAccess("/foo", false));
  EXPECT_TRUE(guest.HasKeyAccess("/foo/bar", true));
  EXPECT_TRUE(guest.HasRecursiveAccess("/", true));
  // The bare /v2/keys path ("") is not under "/".
  EXPECT_FALSE(guest.HasKeyAccess("", false));
  // A guest role revoked of writes reads only.
  Role change;
  change.role = guest.role;
  change.revoke = Permissions{{std::nullopt, std::vector<std::string>{"/*"}}};
  AuthOr<Role> reader = MergeRole(guest, change);
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(reader.value().HasKeyAccess("/foo", false));
  EXPECT_FALSE(reader.value().HasKeyAccess("/foo", true));
}

TEST(V2AuthJsonTest, RoleAndUserJsonAsEtcdWritesThem) {
  Role r = RoleWith("foo", std::vector<std::string>{"/foo/*"}, std::nullopt);
  EXPECT_EQ(RoleJson(r), R"({"role":"foo","permissions":{"kv":{"read":["/foo/*"],"write":null}}})");
  User u;
  u.user = "foo";
  EXPECT_EQ(UserJson(u), R"({"user":"foo","roles":null})");
  u.password = "h";
  u.roles = std::vector<std::string>{};
  EXPECT_EQ(UserJson(u), R"({"user":"foo","password":"h","roles":[]})");
}

TEST(V2AuthJsonTest, ParseKeepsNilAndEmptyApartAndRefusesWrongShapes) {
  std::optional<User> u = ParseUser(R"({"user":"foo", "password":"pass"})");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->user, "foo");
  EXPECT_EQ(u->password, "pass");
  EXPECT_FALSE(u->roles.has_value());
  u = ParseUser(R"({"user":"foo","roles":[],"grant":["a"]})");
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->roles.has_value() && u->roles->empty());
  EXPECT_EQ(u->grant, std::vector<std::string>{"a"});
  EXPECT_FALSE(ParseUser(R"({"user":7})").has_value());
  EXPECT_FALSE(ParseUser("not json").has_value());

  std::optional<Role> r = ParseRole(R"({"role":"foo","grant":{"kv":{"read":["/a"]}}})");
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->grant.has_value());
  EXPECT_FALSE(r->revoke.has_value());
  EXPECT_EQ(r->grant->kv.read, (NilableList{{"/a"}}));
  EXPECT_TRUE(r->permissions.IsEmpty());
  // Round trip through the stored form.
  EXPECT_EQ(ParseRole(RoleJson(*r)), r);
}

TEST(V2AuthMergeTest, UserGrantsAndRevokesAsSets) {
  User old;
  old.user = "u";
  old.password = "hash";
  User change;
  change.user = "u";
  change.grant = {"b", "a"};
  AuthOr<User> m = MergeUser(old, change, "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.value().roles, (NilableList{{"a", "b"}}));
  EXPECT_EQ(m.value().password, "hash");

  change.grant = {"a"};
  AuthOr<User> dup = MergeUser(m.value(), change, "");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().status, 409);
  EXPECT_EQ(dup.error().body, R"({"message":"auth: Granting duplicate role a for user u"})");

  change.grant.clear();
  change.revoke = {"c"};
  AuthOr<User> ungranted = MergeUser(m.value(), change, "");
  ASSERT_FALSE(ungranted.ok());
  EXPECT_EQ(ungranted.error().body, R"({"message":"auth: Revoking ungranted role c for user u"})");

  change.revoke = {"a", "b"};
  AuthOr<User> none = MergeUser(m.value(), change, "new");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value().roles, NilableList{std::vector<std::string>{}});  // [] , not null
  EXPECT_EQ(none.value().password, "new");
}

TEST(V2AuthMergeTest, RolePermissionGrantsRefuseDuplicatesRevokesSkipUnknown) {
  Role old = RoleWith("r", std::vector<std::string>{"/a"}, std::nullopt);
  Role change;
  change.role = "r";
  change.grant = Permissions{{std::vector<std::string>{"/a"}, std::nullopt}};
  AuthOr<Role> dup = MergeRole(old, change);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().body, R"({"message":"auth: Granting duplicate read permission /a"})");

  change.grant = Permissions{{std::nullopt, std::vector<std::string>{"/w"}}};
  change.revoke = Permissions{{std::vector<std::string>{"/not-there"}, std::nullopt}};
  AuthOr<Role> m = MergeRole(old, change);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.value().permissions.kv.read, (NilableList{{"/a"}}));
  EXPECT_EQ(m.value().permissions.kv.write, (NilableList{{"/w"}}));
  EXPECT_FALSE(m.value().grant.has_value());
}

TEST(V2AuthMergeTest, RootUserAlwaysHoldsTheRootRole) {
  User u;
  u.user = "root";
  EXPECT_EQ(AttachRootRole(u).roles, (NilableList{{"root"}}));
  u.roles = std::vector<std::string>{"root", "x"};
  EXPECT_EQ(AttachRootRole(u).roles, u.roles);
}

}  // namespace
}  // namespace etcdpp::server::v2http
