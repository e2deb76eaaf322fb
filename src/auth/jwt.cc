#include "auth/jwt.h"

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "auth/jwt_codec.h"
#include "common/json_text.h"
#include "auth/jwt_key.h"
#include "common/error_id.h"
#include "common/status.h"

namespace etcdpp::auth {
namespace {

constexpr absl::string_view kSignMethod = "sign-method";
constexpr absl::string_view kPubKey = "pub-key";
constexpr absl::string_view kPrivKey = "priv-key";
constexpr absl::string_view kTtl = "ttl";

using Options = std::map<std::string, std::string, std::less<>>;
using Members = std::map<std::string, JsonMember, std::less<>>;

absl::Status OptionError(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--auth-token jwt: ", why));
}

// `opts` split into key=value pairs, as etcd's decomposeOpts, with unknown keys refused.
absl::StatusOr<Options> ParseOptions(absl::string_view opts) {
  Options out;
  if (opts.empty()) return out;
  for (absl::string_view pair : absl::StrSplit(opts, ',')) {
    std::vector<absl::string_view> kv = absl::StrSplit(pair, '=');
    if (kv.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("option \"", pair, "\" is not key=value (options: ", kSignMethod, ", ",
                       kPubKey, ", ", kPrivKey, ", ", kTtl, ")"));
    }
    if (kv[0] != kSignMethod && kv[0] != kPubKey && kv[0] != kPrivKey && kv[0] != kTtl) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option \"", kv[0], "\""));
    }
    if (!out.emplace(std::string(kv[0]), std::string(kv[1])).second) {
      return absl::InvalidArgumentError(absl::StrCat("option \"", kv[0], "\" given twice"));
    }
  }
  return out;
}

std::string Option(const Options& opts, absl::string_view key) {
  auto it = opts.find(std::string_view(key.data(), key.size()));
  return it == opts.end() ? std::string() : it->second;
}

// A Go duration (time.ParseDuration), which must be positive.
absl::StatusOr<absl::Duration> ParseTtl(const std::string& text) {
  if (text.empty()) return kDefaultJwtTtl;
  // Go also spells microseconds with U+00B5 or U+03BC; abseil knows only "us".
  std::string ascii = absl::StrReplaceAll(text, {{"\xC2\xB5s", "us"}, {"\xCE\xBCs", "us"}});
  absl::Duration ttl;
  if (!absl::ParseDuration(ascii, &ttl) || ttl == absl::InfiniteDuration() ||
      ttl == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttl \"", text, "\" is not a duration (such as 300s, 5m or 1h30m)"));
  }
  if (ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("ttl \"", text, "\" is not positive"));
  }
  return ttl;
}

// A claim that is a JSON number, in whole seconds rounded down (as the Go library reads
// NumericDate); nullopt when absent, not a number, or not finite.
std::optional<int64_t> NumericDate(const Members& claims, std::string_view name) {
  auto it = claims.find(name);
  if (it == claims.end() || it->second.kind != JsonMember::Kind::kNumber) return std::nullopt;
  double seconds = 0;
  if (!absl::SimpleAtod(it->second.text, &seconds) || !std::isfinite(seconds)) return std::nullopt;
  seconds = std::floor(seconds);
  if (seconds >= 0x1p62 || seconds <= -0x1p62) return std::nullopt;
  return static_cast<int64_t>(seconds);
}

// Whether the optional time claim `name` is absent, or a number not after `now`.
bool NotAfterNow(const Members& claims, std::string_view name, int64_t now) {
  if (!claims.contains(name)) return true;
  std::optional<int64_t> t = NumericDate(claims, name);
  return t.has_value() && *t <= now;
}

std::optional<TokenInfo> ClaimsInfo(const Members& claims, absl::Time now) {
  int64_t now_sec = absl::ToUnixSeconds(now);
  std::optional<int64_t> exp = NumericDate(claims, "exp");
  if (!exp.has_value() || *exp <= now_sec) return std::nullopt;
  if (!NotAfterNow(claims, "nbf", now_sec) || !NotAfterNow(claims, "iat", now_sec)) {
    return std::nullopt;
  }
  auto user = claims.find("username");
  auto rev = claims.find("revision");
  if (user == claims.end() || user->second.kind != JsonMember::Kind::kString) return std::nullopt;
  if (rev == claims.end() || rev->second.kind != JsonMember::Kind::kNumber) return std::nullopt;
  TokenInfo info{user->second.text, 0};
  const std::string& digits = rev->second.text;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(digits, &info.revision)) {
    return std::nullopt;
  }
  return info;
}

// Whether the encoded JOSE header `encoded` is a JSON object naming `alg`, without "crit" (no
// extension is understood here).
bool HeaderAccepted(std::string_view encoded, std::string_view alg) {
  std::optional<std::string> header = Base64UrlDecode(encoded);
  if (!header.has_value()) return false;
  std::optional<Members> members = ParseJsonObject(*header);
  if (!members.has_value() || members->contains("crit")) return false;
  auto it = members->find("alg");
  return it != members->end() && it->second.kind == JsonMember::Kind::kString &&
         it->second.text == alg;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwtProvider>> JwtProvider::Create(std::string_view opts) {
  return Create(opts, Env::Default());
}

absl::StatusOr<std::unique_ptr<JwtProvider>> JwtProvider::Create(std::string_view opts, Env* env) {
  absl::StatusOr<Options> parsed = ParseOptions(AbslView(opts));
  if (!parsed.ok()) return OptionError(parsed.status().message());
  std::string method = Option(*parsed, kSignMethod);
  if (method.empty()) return OptionError("sign-method is required");
  const JwtAlgorithm* alg = FindJwtAlgorithm(method);
  if (alg == nullptr) {
    return OptionError(
        absl::StrCat("unknown sign-method \"", method, "\" (known: ", JwtAlgorithmNames(), ")"));
  }
  absl::StatusOr<absl::Duration> ttl = ParseTtl(Option(*parsed, kTtl));
  if (!ttl.ok()) return OptionError(ttl.status().message());
  absl::StatusOr<std::unique_ptr<JwtKey>> key =
      JwtKey::Load(*alg, Option(*parsed, kPubKey), Option(*parsed, kPrivKey), env);
  if (!key.ok()) return OptionError(key.status().message());
  return std::unique_ptr<JwtProvider>(new JwtProvider(std::move(*key), *ttl));
}

JwtProvider::JwtProvider(std::unique_ptr<JwtKey> key, absl::Duration ttl)
    : key_(std::move(key)),
      ttl_(ttl),
      encoded_header_(Base64UrlEncode(
          absl::StrCat("{\"alg\":\"", AbslView(key_->algorithm().name), "\",\"typ\":\"JWT\"}"))) {}

JwtProvider::~JwtProvider() = default;

bool JwtProvider::verify_only() const { return !key_->can_sign(); }

std::string_view JwtProvider::sign_method() const { return key_->algorithm().name; }

absl::StatusOr<std::string> JwtProvider::Sign(std::string_view username, uint64_t revision,
                                              absl::Time now) const {
  if (verify_only()) {
    return WithErrorId(
        absl::FailedPreconditionError("auth: token signing attempted with verify-only key"),
        kJwtVerifyOnlyErrorId);
  }
  std::optional<std::string> quoted = JsonQuote(username);
  if (!quoted.has_value()) return absl::InvalidArgumentError("auth: user name is not UTF-8");
  std::string claims = absl::StrCat("{\"exp\":", absl::ToUnixSeconds(now + ttl_),
                                    ",\"revision\":", revision, ",\"username\":", *quoted, "}");
  std::string signing_input = absl::StrCat(encoded_header_, ".", Base64UrlEncode(claims));
  std::optional<std::string> signature = key_->Sign(signing_input);
  if (!signature.has_value()) return absl::InternalError("auth: JWT signing failed");
  return absl::StrCat(signing_input, ".", Base64UrlEncode(*signature));
}

std::optional<TokenInfo> JwtProvider::Verify(std::string_view token, absl::Time now) const {
  if (token.size() > kMaxJwtTokenBytes) return std::nullopt;
  std::vector<std::string_view> parts;
  for (absl::string_view part : absl::StrSplit(AbslView(token), '.')) {
    parts.emplace_back(part.data(), part.size());
  }
  if (parts.size() != 3) return std::nullopt;
  if (!HeaderAccepted(parts[0], sign_method())) return std::nullopt;
  std::optional<std::string> signature = Base64UrlDecode(parts[2]);
  std::string_view signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (!signature.has_value() || !key_->Verify(signing_input, *signature)) return std::nullopt;
  std::optional<std::string> payload = Base64UrlDecode(parts[1]);
  if (!payload.has_value()) return std::nullopt;
  std::optional<Members> claims = ParseJsonObject(*payload);
  if (!claims.has_value()) return std::nullopt;
  return ClaimsInfo(*claims, now);
}

}  // namespace etcdpp::auth
