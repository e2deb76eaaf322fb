#pragma once
// The text encodings of a JWT (RFC 7515 compact serialization, RFC 7519 claims):
//
//   BASE64URL(header JSON) '.' BASE64URL(claims JSON) '.' BASE64URL(signature)
//
// base64url is RFC 4648 section 5 without '=' padding. Decoding is strict: only the URL-safe
// alphabet, no padding, no white space, a length that is not 1 mod 4, and unused trailing bits
// zero, so each byte string has exactly one accepted encoding (a signature cannot be re-encoded
// into a second token that also verifies).
//
// The JSON reader takes one object and keeps its top-level members; nested objects and arrays
// are checked for syntax and kept only as kNested. It is strict RFC 8259: no comments, no
// trailing commas, no raw control characters in strings, valid \u escapes (surrogate pairs
// combined, lone surrogates refused), no duplicate member names, nesting at most kMaxJsonDepth.
// Nothing here throws or aborts on any input.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace etcdpp::auth {

// The bytes of `s` as Debian abseil's string_view (its own type there, not std::string_view).
inline absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

inline constexpr int kMaxJsonDepth = 16;

struct JsonMember {
  enum class Kind { kString, kNumber, kBool, kNull, kNested };
  Kind kind = Kind::kNull;
  // kString: the decoded UTF-8 text; kNumber: the literal as written ("-12", "1.5e3");
  // kBool: "true" or "false".
  std::string text;
};

// The members of the JSON object `text` (white space around it allowed, nothing else).
std::optional<std::map<std::string, JsonMember, std::less<>>> ParseJsonObject(
    std::string_view text);

}  // namespace etcdpp::auth
