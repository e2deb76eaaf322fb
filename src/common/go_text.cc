#include "common/go_text.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace etcdpp {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when it is not valid UTF-8
// (overlong forms, surrogates and values above U+10FFFF are invalid, as in Go).
int DecodeRune(absl::string_view s, size_t i, uint32_t* rune) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *rune = c;
    return 1;
  }
  int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  uint32_t r = c & (0x7F >> n);
  for (int k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    r = (r << 6) | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0;
  *rune = r;
  return n;
}

// Go's unicode.IsPrint for the ranges etcd's data realistically holds: ASCII printables and
// every valid rune from U+00A0 up, except the few format/space characters Go escapes.
bool IsPrintRune(uint32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r >= 0x80 && r < 0xA0) return false;
  if (r == 0xAD) return false;  // soft hyphen
  if (r >= 0x2028 && r <= 0x202E) return false;
  if (r >= 0x200B && r <= 0x200F) return false;
  if (r == 0xFEFF) return false;
  return true;
}

void AppendEscapedRune(std::string& out, uint32_t r) {
  switch (r) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
  }
  if (r < 0x10000) {
    out += r < 0x100 ? absl::StrFormat("\\x%02x", r) : absl::StrFormat("\\u%04x", r);
  } else {
    out += absl::StrFormat("\\U%08x", r);
  }
}

absl::Status SyntaxError(absl::string_view fn, absl::string_view s) {
  return absl::InvalidArgumentError(
      absl::StrCat("strconv.", fn, ": parsing ", GoQuote(s), ": invalid syntax"));
}

absl::Status RangeError(absl::string_view fn, absl::string_view s) {
  return absl::InvalidArgumentError(
      absl::StrCat("strconv.", fn, ": parsing ", GoQuote(s), ": value out of range"));
}

// Digits of s (no sign) in base (0 = from the prefix) as an unsigned value; false on syntax,
// *overflow set when the value does not fit 64 bits.
bool ParseDigits(absl::string_view s, int base, uint64_t* v, bool* overflow) {
  *overflow = false;
  if (base == 0) {
    base = 10;
    if (s.size() > 1 && s[0] == '0') {
      char p = static_cast<char>(s[1] | 0x20);
      if (p == 'x')
        base = 16, s.remove_prefix(2);
      else if (p == 'o')
        base = 8, s.remove_prefix(2);
      else if (p == 'b')
        base = 2, s.remove_prefix(2);
      else
        base = 8, s.remove_prefix(1);
    }
  }
  if (s.empty()) return false;
  uint64_t acc = 0;
  for (char ch : s) {
    if (ch == '_') return false;
    int d = ch >= '0' && ch <= '9'                     ? ch - '0'
            : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z' ? (ch | 0x20) - 'a' + 10
                                                       : 99;
    if (d >= base) return false;
    if (acc > (UINT64_MAX - d) / base) *overflow = true;
    acc = acc * base + d;
  }
  *v = acc;
  return true;
}

}  // namespace

std::string GoQuote(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t r = 0;
    int n = DecodeRune(s, i, &r);
    if (n == 0) {
      out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (IsPrintRune(r)) {
      out.append(s.data() + i, n);
    } else {
      AppendEscapedRune(out, r);
    }
    i += n;
  }
  out += '"';
  return out;
}

absl::StatusOr<std::string> GoUnquote(absl::string_view s) {
  const auto bad = absl::InvalidArgumentError("invalid syntax");
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return bad;
  s = s.substr(1, s.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\n') return bad;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return bad;
    char e = s[i];
    static constexpr absl::string_view kSimple = "abfnrtv\\\"'";
    static constexpr absl::string_view kValue = "\a\b\f\n\r\t\v\\\"'";
    if (auto p = kSimple.find(e); p != absl::string_view::npos) {
      out += kValue[p];
      continue;
    }
    int len = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : (e >= '0' && e <= '7') ? 3 : 0;
    if (len == 0) return bad;
    size_t start = (e >= '0' && e <= '7') ? i : i + 1;
    if (start + len > s.size()) return bad;
    uint64_t v = 0;
    bool overflow = false;
    if (!ParseDigits(s.substr(start, len), (e >= '0' && e <= '7') ? 8 : 16, &v, &overflow))
      return bad;
    i = start + len - 1;
    if (e == 'x' || (e >= '0' && e <= '7')) {
      if (v > 255) return bad;
      out += static_cast<char>(v);
      continue;
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return bad;
    // UTF-8 encode.
    if (v < 0x80) {
      out += static_cast<char>(v);
    } else if (v < 0x800) {
      out += static_cast<char>(0xC0 | (v >> 6));
      out += static_cast<char>(0x80 | (v & 0x3F));
    } else if (v < 0x10000) {
      out += static_cast<char>(0xE0 | (v >> 12));
      out += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (v & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (v >> 18));
      out += static_cast<char>(0x80 | ((v >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (v & 0x3F));
    }
  }
  return out;
}

absl::StatusOr<absl::Duration> GoParseDuration(absl::string_view orig) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat("time: invalid duration ", GoQuote(orig)));
  };
  absl::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return invalid();
  double total_ns = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    absl::string_view num = s.substr(0, i);
    if (num.empty() || num == ".") return invalid();
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !std::isdigit(static_cast<unsigned char>(s[u]))) ++u;
    absl::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    if (unit.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: missing unit in duration ", GoQuote(orig)));
    }
    static const std::pair<absl::string_view, double> kUnits[] = {
        {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
        {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
    double scale = 0;
    for (const auto& [name, mult] : kUnits) {
      if (unit == name) scale = mult;
    }
    if (scale == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: unknown unit ", GoQuote(unit), " in duration ", GoQuote(orig)));
    }
    total_ns += std::stod(std::string(num)) * scale;
  }
  if (total_ns > 9.3e18) return invalid();
  int64_t ns = static_cast<int64_t>(std::llround(total_ns));
  return absl::Nanoseconds(neg ? -ns : ns);
}

std::string GoDurationString(absl::Duration d) {
  int64_t ns = absl::ToInt64Nanoseconds(d);
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  // Below one second: a single unit with a fraction ("1.5ms", "500µs", "12ns").
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string s = absl::StrCat(v / unit);
    uint64_t rest = v % unit;
    if (rest == 0) return s;
    std::string digits = absl::StrFormat("%0*d", static_cast<int>(std::log10(unit)), rest);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return absl::StrCat(s, ".", digits);
  };
  if (u < 1000) return absl::StrCat(sign, u, "ns");
  if (u < 1000000) return absl::StrCat(sign, frac(u, 1000), "\xc2\xb5s");
  if (u < 1000000000) return absl::StrCat(sign, frac(u, 1000000), "ms");
  uint64_t secs_ns = u % 60000000000ULL;
  uint64_t mins = u / 60000000000ULL;
  std::string out = absl::StrCat(frac(secs_ns, 1000000000), "s");
  if (mins > 0) {
    out = absl::StrCat(mins % 60, "m", out);
    if (mins >= 60) out = absl::StrCat(mins / 60, "h", out);
  }
  return sign + out;
}

absl::StatusOr<bool> GoParseBool(absl::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
    return false;
  return SyntaxError("ParseBool", s);
}

absl::StatusOr<int64_t> GoParseInt(absl::string_view s, int base) {
  absl::string_view digits = s;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  uint64_t v = 0;
  bool overflow = false;
  if (!ParseDigits(digits, base, &v, &overflow)) return SyntaxError("ParseInt", s);
  const uint64_t limit = neg ? (1ULL << 63) : (1ULL << 63) - 1;
  if (overflow || v > limit) return RangeError("ParseInt", s);
  return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

absl::StatusOr<uint64_t> GoParseUint(absl::string_view s, int base) {
  uint64_t v = 0;
  bool overflow = false;
  if (!ParseDigits(s, base, &v, &overflow)) return SyntaxError("ParseUint", s);
  if (overflow) return RangeError("ParseUint", s);
  return v;
}

std::string HumanizeBytes(uint64_t n) {
  if (n < 10) return absl::StrCat(n, " B");
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double e = std::floor(std::log(static_cast<double>(n)) / std::log(1000.0));
  double val = std::floor(static_cast<double>(n) / std::pow(1000.0, e) * 10 + 0.5) / 10;
  const char* unit = kUnits[static_cast<int>(e)];
  if (val < 10) return absl::StrFormat("%.1f %s", val, unit);
  return absl::StrFormat("%.0f %s", val, unit);
}

}  // namespace etcdpp
