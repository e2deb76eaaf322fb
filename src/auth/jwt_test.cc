#include "auth/jwt.h"

#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "auth/jwt_codec.h"
#include "auth/jwt_test_keys.h"
#include "common/error_id.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etcdpp::auth {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testkeys::FilesFor;
using testkeys::Options;

const absl::Time kNow = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250);

const std::vector<std::string> kAllMethods = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                              "PS512", "ES256", "ES384", "ES512", "EdDSA",
                                              "HS256", "HS384", "HS512"};

std::unique_ptr<JwtProvider> MustCreate(const std::string& opts) {
  absl::StatusOr<std::unique_ptr<JwtProvider>> p = JwtProvider::Create(opts);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

std::string MustSign(const JwtProvider& p, std::string_view user, uint64_t rev,
                     absl::Time now = kNow) {
  absl::StatusOr<std::string> token = p.Sign(user, rev, now);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.value_or("");
}

std::string CreateError(const std::string& opts) {
  absl::StatusOr<std::unique_ptr<JwtProvider>> p = JwtProvider::Create(opts);
  EXPECT_FALSE(p.ok());
  if (p.ok()) return "";
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

// An HS256 token over the given header and claims JSON, signed with the HS256 test secret, so
// that claim edge cases reach the claim checks with a good signature.
std::string RawHs256(std::string_view header, std::string_view claims) {
  std::string secret = "test-hmac-secret-0-0123456789abcdef0123456789";
  std::string input = absl::StrCat(Base64UrlEncode(header), ".", Base64UrlEncode(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return absl::StrCat(input, ".",
                      Base64UrlEncode(std::string_view(reinterpret_cast<char*>(mac), len)));
}

constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

class EveryMethodTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryMethodTest, SignedTokenVerifiesWithTheClaims) {
  auto p = MustCreate(Options(GetParam(), FilesFor(GetParam())));
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->verify_only());
  EXPECT_EQ(p->sign_method(), GetParam());
  std::string token = MustSign(*p, "alice", 42);
  std::optional<TokenInfo> info = p->Verify(token, kNow);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->username, "alice");
  EXPECT_EQ(info->revision, 42u);
}

TEST_P(EveryMethodTest, PrivateKeyAloneSignsAndVerifies) {
  auto p = MustCreate(Options(GetParam(), FilesFor(GetParam()), /*with_pub=*/false));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->Verify(MustSign(*p, "bob", 7), kNow).has_value());
}

TEST_P(EveryMethodTest, TokenOfAnotherKeyFails) {
  auto mine = MustCreate(Options(GetParam(), FilesFor(GetParam(), 0)));
  auto theirs = MustCreate(Options(GetParam(), FilesFor(GetParam(), 1)));
  ASSERT_NE(mine, nullptr);
  ASSERT_NE(theirs, nullptr);
  EXPECT_FALSE(mine->Verify(MustSign(*theirs, "alice", 1), kNow).has_value());
}

TEST_P(EveryMethodTest, ExpiresAfterTtl) {
  auto p = MustCreate(Options(GetParam(), FilesFor(GetParam())) + ",ttl=10s");
  ASSERT_NE(p, nullptr);
  std::string token = MustSign(*p, "alice", 1);
  EXPECT_TRUE(p->Verify(token, kNow + absl::Seconds(9)).has_value());
  EXPECT_FALSE(p->Verify(token, kNow + absl::Seconds(10)).has_value());
  EXPECT_FALSE(p->Verify(token, kNow + absl::Hours(1)).has_value());
}

TEST_P(EveryMethodTest, TamperedPartsFail) {
  auto p = MustCreate(Options(GetParam(), FilesFor(GetParam())));
  ASSERT_NE(p, nullptr);
  std::string token = MustSign(*p, "alice", 1);
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string other = MustSign(*p, "mallory", 1);
  std::string other_claims = std::vector<std::string>(absl::StrSplit(other, '.'))[1];
  EXPECT_FALSE(p->Verify(absl::StrCat(parts[0], ".", other_claims, ".", parts[2]), kNow));
  // Every single-character change of the signature part.
  for (size_t i = 0; i < parts[2].size(); i += 7) {
    std::string sig = parts[2];
    sig[i] = sig[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(p->Verify(absl::StrCat(parts[0], ".", parts[1], ".", sig), kNow)) << i;
  }
  EXPECT_FALSE(p->Verify(absl::StrCat(parts[0], ".", parts[1], "."), kNow));
  EXPECT_FALSE(p->Verify(absl::StrCat(parts[0], ".", parts[1], ".", parts[2], "="), kNow));
  EXPECT_FALSE(p->Verify(token + ".", kNow));
}

INSTANTIATE_TEST_SUITE_P(Jwt, EveryMethodTest, ::testing::ValuesIn(kAllMethods),
                         [](const auto& info) { return info.param; });

class PublicKeyMethodTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PublicKeyMethodTest, VerifyOnlyMemberVerifiesButRefusesSign) {
  auto signer = MustCreate(Options(GetParam(), FilesFor(GetParam())));
  auto verifier = MustCreate(Options(GetParam(), FilesFor(GetParam()), true, /*with_priv=*/false));
  ASSERT_NE(signer, nullptr);
  ASSERT_NE(verifier, nullptr);
  EXPECT_TRUE(verifier->verify_only());
  std::optional<TokenInfo> info = verifier->Verify(MustSign(*signer, "carol", 9), kNow);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->username, "carol");
  absl::StatusOr<std::string> refused = verifier->Sign("carol", 9, kNow);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "auth: token signing attempted with verify-only key");
  EXPECT_TRUE(HasErrorId(refused.status(), kJwtVerifyOnlyErrorId));
}

INSTANTIATE_TEST_SUITE_P(Jwt, PublicKeyMethodTest,
                         ::testing::Values("RS256", "PS384", "ES512", "EdDSA"),
                         [](const auto& info) { return info.param; });

TEST(JwtTest, TokenFormatIsEtcds) {
  auto p = MustCreate(Options("HS256", FilesFor("HS256")) + ",ttl=1s");
  ASSERT_NE(p, nullptr);
  std::string token = MustSign(*p, "a\"b", 5);
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(Base64UrlDecode(parts[0]), R"({"alg":"HS256","typ":"JWT"})");
  // exp: the signing time plus the ttl, in whole seconds rounded down.
  EXPECT_EQ(Base64UrlDecode(parts[1]), R"({"exp":1700000001,"revision":5,"username":"a\"b"})");
  EXPECT_EQ(token.find('='), std::string::npos);
  EXPECT_TRUE(p->Verify(token, absl::FromUnixSeconds(1700000000) + absl::Milliseconds(999)));
  EXPECT_FALSE(p->Verify(token, absl::FromUnixSeconds(1700000001)));
}

TEST(JwtTest, UsernamesSurviveTheRoundTrip) {
  auto p = MustCreate(Options("HS256", FilesFor("HS256")));
  ASSERT_NE(p, nullptr);
  for (std::string name : {"", "root", "with space", "quote\"back\\slash", "tab\tnl\n",
                           "caf\xC3\xA9", "\xF0\x9F\x94\x91", "<html>&"}) {
    std::optional<TokenInfo> info = p->Verify(MustSign(*p, name, 1), kNow);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->username, name);
  }
  EXPECT_EQ(p->Sign("bad\xFFutf8", 1, kNow).status().code(), absl::StatusCode::kInvalidArgument);
  std::optional<TokenInfo> max = p->Verify(MustSign(*p, "u", UINT64_MAX), kNow);
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->revision, UINT64_MAX);
}

TEST(JwtTest, HeaderAlgMustBeOurs) {
  auto rs256 = MustCreate(Options("RS256", FilesFor("RS256")));
  auto rs512 = MustCreate(Options("RS512", FilesFor("RS512")));  // the same RSA key
  auto ps256 = MustCreate(Options("PS256", FilesFor("PS256")));
  ASSERT_TRUE(rs256 && rs512 && ps256);
  EXPECT_FALSE(rs256->Verify(MustSign(*rs512, "alice", 1), kNow));
  EXPECT_FALSE(rs256->Verify(MustSign(*ps256, "alice", 1), kNow));
  // "alg":"none" with no signature.
  std::string claims = Base64UrlEncode(R"({"exp":1800000000,"revision":1,"username":"root"})");
  EXPECT_FALSE(
      rs256->Verify(absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".", claims, "."), kNow));
  // The RS256 token's signature under a header that names another alg.
  std::vector<std::string> parts = absl::StrSplit(MustSign(*rs256, "alice", 1), '.');
  std::string rs512_header = Base64UrlEncode(R"({"alg":"RS512","typ":"JWT"})");
  EXPECT_FALSE(rs256->Verify(absl::StrCat(rs512_header, ".", parts[1], ".", parts[2]), kNow));
}

TEST(JwtTest, PublicKeyUsedAsHmacSecretDoesNotForgeRsaTokens) {
  // The classic confusion: an attacker signs HS256 with the (public) RSA key as the secret.
  testkeys::KeyFiles rsa = FilesFor("RS256");
  auto forger = MustCreate(absl::StrCat("sign-method=HS256,priv-key=", rsa.pub));
  auto rs256 = MustCreate(Options("RS256", rsa, true, false));
  ASSERT_TRUE(forger && rs256);
  EXPECT_FALSE(rs256->Verify(MustSign(*forger, "root", 1), kNow));
}

TEST(JwtTest, ClaimsAreChecked) {
  auto p = MustCreate(Options("HS256", FilesFor("HS256")));
  ASSERT_NE(p, nullptr);
  auto verify = [&](std::string_view claims, std::string_view header = kHs256Header) {
    return p->Verify(RawHs256(header, claims), kNow);
  };
  ASSERT_TRUE(verify(R"({"username":"u","revision":3,"exp":1700000001})"));
  EXPECT_EQ(verify(R"( {"revision":3, "exp":1700000001.9, "username":"u", "x":[1,{}]} )")->revision,
            3u);
  EXPECT_TRUE(verify(R"({"username":"u","revision":3,"exp":1800000000,"nbf":1700000000,)"
                     R"("iat":1699999999})"));
  EXPECT_TRUE(verify(R"({"username":"u","revision":3,"exp":1800000000})", R"({"alg":"HS256"})"));
  for (std::string_view bad : {
           R"({"username":"u","revision":3,"exp":1700000000})",  // exp == now (whole seconds)
           R"({"username":"u","revision":3})",                   // no exp
           R"({"username":"u","revision":3,"exp":"1800000000"})",
           R"({"username":"u","revision":3,"exp":1e400})",
           R"({"username":"u","revision":3,"exp":1800000000,"nbf":1700000001})",
           R"({"username":"u","revision":3,"exp":1800000000,"iat":1700000001})",
           R"({"username":"u","revision":3,"exp":1800000000,"nbf":null})",
           R"({"revision":3,"exp":1800000000})",
           R"({"username":7,"revision":3,"exp":1800000000})",
           R"({"username":"u","exp":1800000000})",
           R"({"username":"u","revision":-3,"exp":1800000000})",
           R"({"username":"u","revision":3.5,"exp":1800000000})",
           R"({"username":"u","revision":1e3,"exp":1800000000})",
           R"({"username":"u","revision":"3","exp":1800000000})",
           R"({"username":"u","revision":18446744073709551616,"exp":1800000000})",
           R"({"username":"u","username":"root","revision":3,"exp":1800000000})",
           R"({"username":"u","revision":3,"exp":1800000000,})",
           R"(["u",3,1800000000])",
           "",
       }) {
    EXPECT_FALSE(verify(bad)) << bad;
  }
  std::string good = R"({"username":"u","revision":3,"exp":1800000000})";
  for (std::string_view bad_header :
       {R"({"alg":"HS256","crit":["exp"]})", R"({"alg":"hs256"})", R"({"typ":"JWT"})",
        R"({"alg":["HS256"]})", R"({"alg":"HS256"} x)", R"({"alg":"HS256","alg":"HS256"})"}) {
    EXPECT_FALSE(verify(good, bad_header)) << bad_header;
  }
}

TEST(JwtTest, GarbageFailsCleanly) {
  auto p = MustCreate(Options("ES256", FilesFor("ES256")));
  ASSERT_NE(p, nullptr);
  std::string huge(kMaxJwtTokenBytes + 1, 'A');
  huge[100] = '.';
  huge[200] = '.';
  std::string nul_token("a\0b.c.d", 7);
  for (std::string_view bad :
       {std::string_view(""), std::string_view("."), std::string_view(".."),
        std::string_view("..."), std::string_view("abc"), std::string_view("a.b"),
        std::string_view("a.b.c"), std::string_view("!!!.@@@.###"),
        std::string_view("eyJhbGciOiJFUzI1NiJ9.e30.AAAA"), std::string_view("e30=.e30=.AA=="),
        std::string_view(nul_token), std::string_view(huge)}) {
    EXPECT_FALSE(p->Verify(bad, kNow));
  }
  // A real token with each part replaced by garbage of many lengths.
  std::vector<std::string> parts = absl::StrSplit(MustSign(*p, "alice", 1), '.');
  for (int len = 0; len < 140; ++len) {
    std::string junk(len, 'x');
    EXPECT_FALSE(p->Verify(absl::StrCat(parts[0], ".", parts[1], ".", junk), kNow)) << len;
    EXPECT_FALSE(p->Verify(absl::StrCat(junk, ".", parts[1], ".", parts[2]), kNow)) << len;
  }
}

TEST(JwtTest, TtlOption) {
  testkeys::KeyFiles hs = FilesFor("HS256");
  EXPECT_EQ(MustCreate(Options("HS256", hs))->ttl(), absl::Minutes(5));
  EXPECT_EQ(MustCreate(Options("HS256", hs) + ",ttl=")->ttl(), absl::Minutes(5));
  EXPECT_EQ(MustCreate(Options("HS256", hs) + ",ttl=1h30m")->ttl(), absl::Minutes(90));
  EXPECT_EQ(MustCreate(Options("HS256", hs) + ",ttl=1500ms")->ttl(), absl::Milliseconds(1500));
  EXPECT_EQ(MustCreate(Options("HS256", hs) + ",ttl=2\xC2\xB5s")->ttl(), absl::Microseconds(2));
  for (std::string ttl : {"5", "abc", "-1s", "0s", "inf", "1d"}) {
    EXPECT_THAT(CreateError(Options("HS256", hs) + ",ttl=" + ttl),
                AllOf(HasSubstr("ttl"), HasSubstr("\"" + ttl + "\"")));
  }
}

TEST(JwtTest, OptionErrorsNameTheOption) {
  testkeys::KeyFiles rsa = FilesFor("RS256");
  EXPECT_THAT(CreateError(""), HasSubstr("sign-method is required"));
  EXPECT_THAT(CreateError("pub-key=" + rsa.pub), HasSubstr("sign-method is required"));
  EXPECT_THAT(CreateError("sign-method=XS256,priv-key=" + rsa.priv),
              AllOf(HasSubstr("unknown sign-method \"XS256\""), HasSubstr("RS256")));
  EXPECT_THAT(CreateError("sign-method=rs256,priv-key=" + rsa.priv), HasSubstr("\"rs256\""));
  EXPECT_THAT(CreateError(Options("RS256", rsa) + ",color=blue"),
              HasSubstr("unknown option \"color\""));
  EXPECT_THAT(CreateError(Options("RS256", rsa) + ",ttl=1s,ttl=2s"),
              HasSubstr("\"ttl\" given twice"));
  EXPECT_THAT(CreateError(Options("RS256", rsa) + ",ttl"), HasSubstr("\"ttl\" is not key=value"));
  EXPECT_THAT(CreateError(Options("RS256", rsa) + ","), HasSubstr("\"\" is not key=value"));
  EXPECT_THAT(CreateError("jwt," + Options("RS256", rsa)), HasSubstr("\"jwt\" is not key=value"));
  EXPECT_THAT(CreateError("sign-method=RS256"), HasSubstr("needs priv-key, pub-key or both"));
  EXPECT_THAT(CreateError("sign-method=HS256"), HasSubstr("needs priv-key"));
  EXPECT_THAT(CreateError("sign-method=HS256,pub-key=" + rsa.pub), HasSubstr("needs priv-key"));
  for (std::string_view msg : {CreateError("sign-method=RS256"), CreateError("")}) {
    EXPECT_THAT(msg, HasSubstr("--auth-token jwt: "));
  }
}

TEST(JwtTest, KeyFileErrorsNameTheFileAndWhy) {
  testkeys::KeyFiles rsa = FilesFor("RS256");
  testkeys::KeyFiles ec = FilesFor("ES256");
  std::string missing = testkeys::WriteFile("gone.pem", "") + ".missing";
  EXPECT_THAT(CreateError("sign-method=RS256,priv-key=" + missing),
              AllOf(HasSubstr("priv-key \"" + missing + "\""), HasSubstr("no such file")));
  EXPECT_THAT(CreateError("sign-method=ES256,pub-key=" + missing),
              AllOf(HasSubstr("pub-key \"" + missing + "\""), HasSubstr("no such file")));
  EXPECT_THAT(CreateError("sign-method=HS256,priv-key=" + missing), HasSubstr(missing));
  EXPECT_THAT(CreateError("sign-method=RS256,priv-key=" + ec.priv),
              AllOf(HasSubstr(ec.priv), HasSubstr("not an RSA key")));
  EXPECT_THAT(CreateError("sign-method=ES256,pub-key=" + rsa.pub),
              AllOf(HasSubstr(rsa.pub), HasSubstr("not an EC key")));
  EXPECT_THAT(CreateError("sign-method=EdDSA,priv-key=" + ec.priv),
              AllOf(HasSubstr(ec.priv), HasSubstr("not an Ed25519 key")));
  EXPECT_THAT(CreateError("sign-method=ES384,priv-key=" + ec.priv),
              AllOf(HasSubstr(ec.priv), HasSubstr("ES384 needs secp384r1")));
  EXPECT_THAT(CreateError("sign-method=RS256,pub-key=" + rsa.priv),
              AllOf(HasSubstr("pub-key \"" + rsa.priv + "\""), HasSubstr("found PRIVATE KEY")));
  EXPECT_THAT(CreateError("sign-method=RS256,priv-key=" + rsa.pub),
              AllOf(HasSubstr("priv-key \"" + rsa.pub + "\""), HasSubstr("found PUBLIC KEY")));
  std::string text = testkeys::WriteFile("not-pem.txt", "hello\n");
  EXPECT_THAT(CreateError("sign-method=RS256,priv-key=" + text),
              AllOf(HasSubstr(text), HasSubstr("found no PEM block")));
  std::string empty_secret = testkeys::WriteFile("empty.secret", "");
  EXPECT_THAT(CreateError("sign-method=HS512,priv-key=" + empty_secret),
              AllOf(HasSubstr(empty_secret), HasSubstr("empty")));
}

TEST(JwtTest, MismatchedKeyPairIsRefused) {
  testkeys::KeyFiles a = FilesFor("ES256", 0);
  testkeys::KeyFiles b = FilesFor("ES256", 1);
  EXPECT_THAT(CreateError(absl::StrCat("sign-method=ES256,pub-key=", b.pub, ",priv-key=", a.priv)),
              AllOf(HasSubstr(b.pub), HasSubstr(a.priv), HasSubstr("not a key pair")));
  testkeys::KeyFiles r0 = FilesFor("PS256", 0);
  testkeys::KeyFiles r1 = FilesFor("PS256", 1);
  EXPECT_THAT(
      CreateError(absl::StrCat("sign-method=PS256,pub-key=", r1.pub, ",priv-key=", r0.priv)),
      HasSubstr("not a key pair"));
}

TEST(JwtTest, KeyFileForms) {
  EvpPkeyPtr rsa = testkeys::Generate("RSA");
  EvpPkeyPtr ec = testkeys::Generate("P-384");
  std::string rsa_trad =
      testkeys::WriteFile("rsa-trad.pem", testkeys::PrivateTraditionalPem(rsa.get()));
  std::string rsa_pkcs1_pub =
      testkeys::WriteFile("rsa-pkcs1.pub", testkeys::RsaPublicPem(rsa.get()));
  std::string rsa_cert = testkeys::WriteFile("rsa.crt", testkeys::CertificatePem(rsa.get()));
  // openssl ecparam -genkey writes "EC PARAMETERS" before "EC PRIVATE KEY".
  std::string ec_trad = testkeys::WriteFile(
      "ec-trad.pem", "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n" +
                         testkeys::PrivateTraditionalPem(ec.get()));
  std::string ec_cert = testkeys::WriteFile("ec.crt", testkeys::CertificatePem(ec.get()));
  auto signer = MustCreate(absl::StrCat("sign-method=RS384,priv-key=", rsa_trad));
  ASSERT_NE(signer, nullptr);
  std::string token = MustSign(*signer, "alice", 1);
  for (const std::string& pub : {rsa_pkcs1_pub, rsa_cert}) {
    auto verifier = MustCreate(absl::StrCat("sign-method=RS384,pub-key=", pub));
    ASSERT_NE(verifier, nullptr) << pub;
    EXPECT_TRUE(verifier->Verify(token, kNow)) << pub;
  }
  auto both =
      MustCreate(absl::StrCat("sign-method=RS384,pub-key=", rsa_cert, ",priv-key=", rsa_trad));
  ASSERT_NE(both, nullptr);
  auto es = MustCreate(absl::StrCat("sign-method=ES384,pub-key=", ec_cert, ",priv-key=", ec_trad));
  ASSERT_NE(es, nullptr);
  EXPECT_TRUE(es->Verify(MustSign(*es, "alice", 1), kNow));
  std::string encrypted = testkeys::WriteFile("enc.pem", testkeys::EncryptedPrivatePem(rsa.get()));
  EXPECT_THAT(CreateError("sign-method=RS256,priv-key=" + encrypted),
              AllOf(HasSubstr(encrypted), HasSubstr("encrypted")));
}

TEST(JwtTest, HmacSecretIsTheWholeFile) {
  std::string with_newline = testkeys::WriteFile("nl.secret", "secret\n");
  std::string without = testkeys::WriteFile("no-nl.secret", "secret");
  auto a = MustCreate("sign-method=HS384,priv-key=" + with_newline);
  auto b = MustCreate("sign-method=HS384,priv-key=" + without);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(b->Verify(MustSign(*a, "alice", 1), kNow));
  EXPECT_TRUE(a->Verify(MustSign(*a, "alice", 1), kNow));
}

TEST(JwtTest, EtcdE2eFixtureKeys) {
  // etcd's e2e and integration tests run with
  // jwt,pub-key=integration/fixtures/server.crt,priv-key=server.key.insecure,sign-method=RS256.
  std::string dir = "/usr/share/gocode/src/go.etcd.io/etcd/integration/fixtures/";
  if (!Env::Default()->FileExists(dir + "server.crt")) GTEST_SKIP() << "no golang-etcd-server-dev";
  auto p = MustCreate(absl::StrCat("pub-key=", dir, "server.crt,priv-key=", dir,
                                   "server.key.insecure,sign-method=RS256,ttl=1s"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->ttl(), absl::Seconds(1));
  EXPECT_TRUE(p->Verify(MustSign(*p, "root", 1), kNow));
  EXPECT_THAT(CreateError(absl::StrCat("pub-key=", dir, "server2.crt,priv-key=", dir,
                                       "server.key.insecure,sign-method=RS256")),
              HasSubstr("not a key pair"));
}

}  // namespace
}  // namespace etcdpp::auth
