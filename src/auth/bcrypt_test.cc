#include "auth/bcrypt.h"

#include "gtest/gtest.h"

namespace etcdpp::auth {
namespace {

TEST(BcryptTest, HashVerifies) {
  absl::StatusOr<std::string> h = BcryptHash("s3cret", kMinBcryptCost);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->substr(0, 7), "$2b$04$");
  EXPECT_TRUE(BcryptVerify("s3cret", *h));
  EXPECT_FALSE(BcryptVerify("s3cret ", *h));
  EXPECT_FALSE(BcryptVerify("", *h));
  EXPECT_NE(*BcryptHash("s3cret", kMinBcryptCost), *h);  // fresh salt
}

// A hash written by Go's golang.org/x/crypto/bcrypt (etcd 3.4), as an etcd data dir holds it:
// bcrypt.GenerateFromPassword([]byte("123"), 10).
TEST(BcryptTest, VerifiesGoHashes) {
  const std::string go_hash = "$2a$10$rnvxPJWP7rtY8SQysU5nmunOZO08PuyRhKY1uKH0nPl/Ty6eR7smm";
  EXPECT_TRUE(BcryptVerify("123", go_hash));
  EXPECT_FALSE(BcryptVerify("124", go_hash));
}

TEST(BcryptTest, BadInput) {
  EXPECT_FALSE(BcryptHash("x", 3).ok());
  EXPECT_FALSE(BcryptHash("x", 32).ok());
  EXPECT_FALSE(BcryptHash(std::string("a\0b", 3), 4).ok());
  EXPECT_FALSE(BcryptVerify("x", ""));
  EXPECT_FALSE(BcryptVerify("x", "plaintext"));
  EXPECT_FALSE(BcryptVerify("x", "$2a$10$short"));
}

}  // namespace
}  // namespace etcdpp::auth
