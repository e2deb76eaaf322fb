#include "auth/range_perms.h"

#include <string>

#include "gtest/gtest.h"

namespace etcdpp::auth {
namespace {

const std::string kZero("\0", 1);

authpb::Permission Perm(authpb::Permission::Type t, std::string key, std::string end) {
  authpb::Permission p;
  p.set_permtype(t);
  p.set_key(std::move(key));
  p.set_range_end(std::move(end));
  return p;
}

RangePerms Of(std::vector<authpb::Permission> perms) {
  authpb::Role r;
  for (auto& p : perms) *r.add_keypermission() = p;
  return RangePerms::FromRoles({&r});
}

TEST(RangePermsTest, SingleKeyCoversOnlyThatKey) {
  RangePerms p = Of({Perm(authpb::Permission::READ, "foo", "")});
  EXPECT_TRUE(p.CanRead("foo", ""));
  EXPECT_FALSE(p.CanRead("foo1", ""));
  EXPECT_FALSE(p.CanRead("fo", ""));
  EXPECT_FALSE(p.CanWrite("foo", ""));
  EXPECT_TRUE(p.CanRead("foo", std::string("foo") + kZero));  // [foo, foo\0) is the key
  EXPECT_FALSE(p.CanRead("foo", "fop"));
}

TEST(RangePermsTest, PrefixAndRange) {
  RangePerms p = Of({Perm(authpb::Permission::READWRITE, "a", "c")});
  EXPECT_TRUE(p.CanWrite("a", ""));
  EXPECT_TRUE(p.CanWrite("bzzz", ""));
  EXPECT_FALSE(p.CanWrite("c", ""));
  EXPECT_TRUE(p.CanRead("a", "c"));
  EXPECT_TRUE(p.CanRead("b", "bb"));
  EXPECT_FALSE(p.CanRead("a", "d"));
  EXPECT_FALSE(p.CanRead("a", kZero));
}

TEST(RangePermsTest, FromKeyIsUnbounded) {
  RangePerms p = Of({Perm(authpb::Permission::WRITE, "k", kZero)});
  EXPECT_TRUE(p.CanWrite("k", ""));
  EXPECT_TRUE(p.CanWrite("zzzz", ""));
  EXPECT_TRUE(p.CanWrite("m", kZero));
  EXPECT_FALSE(p.CanWrite("j", kZero));
  EXPECT_FALSE(p.CanRead("k", ""));
}

TEST(RangePermsTest, AdjacentAndOverlappingIntervalsMerge) {
  RangePerms p =
      Of({Perm(authpb::Permission::READ, "a", "b"), Perm(authpb::Permission::READ, "b", "c"),
          Perm(authpb::Permission::READ, "bb", "d"), Perm(authpb::Permission::READ, "x", "y")});
  EXPECT_TRUE(p.CanRead("a", "d"));
  EXPECT_FALSE(p.CanRead("a", "e"));
  EXPECT_FALSE(p.CanRead("c", "x1"));
  EXPECT_TRUE(p.CanRead("x", "y"));
}

TEST(RangePermsTest, RolesMerge) {
  authpb::Role r1, r2;
  *r1.add_keypermission() = Perm(authpb::Permission::READ, "a", "b");
  *r2.add_keypermission() = Perm(authpb::Permission::WRITE, "a", "b");
  RangePerms p = RangePerms::FromRoles({&r1, &r2});
  EXPECT_TRUE(p.CanRead("a", ""));
  EXPECT_TRUE(p.CanWrite("a", ""));
  EXPECT_FALSE(RangePerms::FromRoles({}).CanRead("a", ""));
}

}  // namespace
}  // namespace etcdpp::auth
