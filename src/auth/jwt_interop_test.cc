// Interoperability with an independent implementation: PyJWT (Debian's python3-jwt, with
// python3-cryptography) verifies the tokens we sign and signs tokens we verify, for every sign
// method. tests/auth/pyjwt_peer.py does PyJWT's side in one run; requests and answers go
// through files, so no token or key is printed. Skipped when no python3 here imports jwt.

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "auth/jwt.h"
#include "auth/jwt_codec.h"
#include "auth/jwt_test_keys.h"
#include "common/json_text.h"
#include "gtest/gtest.h"

namespace etcdpp::auth {
namespace {

const std::vector<std::string> kAllMethods = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                              "PS512", "ES256", "ES384", "ES512", "EdDSA",
                                              "HS256", "HS384", "HS512"};

// A python3 that imports PyJWT and cryptography ($ETCDPP_PYJWT_PYTHON first, then Debian's),
// or "".
std::string FindPython() {
  std::vector<std::string> candidates = {"/usr/bin/python3", "python3"};
  if (const char* env = getenv("ETCDPP_PYJWT_PYTHON")) candidates.insert(candidates.begin(), env);
  for (const std::string& py : candidates) {
    std::string cmd = py + " -c 'import jwt, cryptography' >/dev/null 2>&1";
    if (system(cmd.c_str()) == 0) return py;
  }
  return "";
}

std::string Quote(std::string_view s) { return JsonQuote(s).value_or("\"\""); }

struct Case {
  std::string method;
  testkeys::KeyFiles files;
  std::string our_token;      // signed by us, for PyJWT to verify
  std::string foreign_token;  // signed by us with another key: PyJWT must refuse it too
  std::string py_user;        // PyJWT signs a token for this user
  uint64_t py_revision = 0;
};

std::string Request(const Case& c, const std::string& token, bool ask_sign, int64_t exp) {
  std::string req = absl::StrCat("{\"alg\":", Quote(c.method), ",\"priv\":", Quote(c.files.priv),
                                 ",\"pub\":", Quote(c.files.pub), ",\"verify\":", Quote(token));
  if (ask_sign) {
    absl::StrAppend(&req, ",\"sign\":{\"username\":", Quote(c.py_user),
                    ",\"revision\":", c.py_revision, ",\"exp\":", exp, "}");
  }
  return req + "}";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(JwtInteropTest, PyJwtAndWeAcceptEachOthersTokens) {
  std::string python = FindPython();
  if (python.empty()) GTEST_SKIP() << "no python3 with PyJWT (apt-get install python3-jwt)";
  absl::Time now = absl::Now();
  std::vector<Case> cases;
  std::vector<std::string> requests;
  for (size_t i = 0; i < kAllMethods.size(); ++i) {
    const std::string& m = kAllMethods[i];
    Case c{m, testkeys::FilesFor(m), "", "", absl::StrCat("py-caf\xC3\xA9-", m), 2000 + i};
    auto ours = JwtProvider::Create(testkeys::Options(m, c.files));
    auto other = JwtProvider::Create(testkeys::Options(m, testkeys::FilesFor(m, 1)));
    ASSERT_TRUE(ours.ok() && other.ok()) << m;
    c.our_token = (*ours)->Sign(absl::StrCat("us-", m), 1000 + i, now).value_or("");
    c.foreign_token = (*other)->Sign("mallory", 1, now).value_or("");
    requests.push_back(Request(c, c.our_token, true, absl::ToUnixSeconds(now) + 300));
    requests.push_back(Request(c, c.foreign_token, false, 0));
    cases.push_back(std::move(c));
  }
  std::string req_path =
      testkeys::WriteFile("pyjwt-requests.json", "[" + absl::StrJoin(requests, ",\n") + "]");
  std::string resp_path = req_path + ".out";
  std::string cmd = absl::StrCat(python, " ", ETCDPP_PYJWT_PEER, " ", req_path, " ", resp_path);
  ASSERT_EQ(system(cmd.c_str()), 0) << "pyjwt_peer.py failed";
  std::vector<std::string> lines = absl::StrSplit(ReadAll(resp_path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2 * cases.size());

  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.method);
    auto answer = ParseJsonObject(lines[2 * i]);
    auto refusal = ParseJsonObject(lines[2 * i + 1]);
    ASSERT_TRUE(answer.has_value() && refusal.has_value());
    // PyJWT verified our token and read our claims.
    ASSERT_FALSE(answer->contains("error")) << answer->at("error").text;
    EXPECT_EQ(answer->at("username").text, "us-" + c.method);
    EXPECT_EQ(answer->at("revision").text, absl::StrCat(1000 + i));
    // PyJWT refused the token of the other key, as we do.
    ASSERT_TRUE(refusal->contains("error"));
    EXPECT_EQ(refusal->at("error").text, "InvalidSignatureError");
    // We verify PyJWT's token, with the full key pair and with the public key alone (HS*: the
    // secret both times).
    bool hmac = c.files.pub.empty();
    auto ours = JwtProvider::Create(testkeys::Options(c.method, c.files));
    auto pub_only = JwtProvider::Create(testkeys::Options(c.method, c.files, true, hmac));
    ASSERT_TRUE(ours.ok() && pub_only.ok());
    for (const JwtProvider* p : {ours->get(), pub_only->get()}) {
      std::optional<TokenInfo> info = p->Verify(answer->at("token").text, now);
      ASSERT_TRUE(info.has_value());
      EXPECT_EQ(info->username, c.py_user);
      EXPECT_EQ(info->revision, c.py_revision);
    }
  }
}

}  // namespace
}  // namespace etcdpp::auth
