#include "server/go_duration.h"

#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace etcdpp::server {
namespace {

constexpr uint64_t kMaxNanos = uint64_t{1} << 63;

// Go's time.quote: printable ASCII as is ('"' and '\\' escaped), other bytes as \xHH.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x80 || c < ' ') {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Nanoseconds per unit, or nullopt for an unknown unit.
std::optional<uint64_t> UnitNanos(absl::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xc2\xb5s" || u == "\xce\xbcs") return 1000;  // us, µs (U+00B5, U+03BC)
  if (u == "ms") return 1000 * 1000;
  if (u == "s") return 1000 * 1000 * 1000;
  if (u == "m") return uint64_t{60} * 1000 * 1000 * 1000;
  if (u == "h") return uint64_t{3600} * 1000 * 1000 * 1000;
  return std::nullopt;
}

// Consumes leading digits into *v; false on overflow (Go's leadingInt).
bool LeadingInt(absl::string_view* s, uint64_t* v) {
  uint64_t x = 0;
  while (!s->empty() && IsDigit(s->front())) {
    if (x > kMaxNanos / 10) return false;
    x = x * 10 + static_cast<uint64_t>(s->front() - '0');
    if (x > kMaxNanos) return false;
    s->remove_prefix(1);
  }
  *v = x;
  return true;
}

// Consumes leading digits as a fraction f / scale, dropping digits past overflow (Go's
// leadingFraction).
void LeadingFraction(absl::string_view* s, uint64_t* f, double* scale) {
  uint64_t x = 0;
  double sc = 1;
  bool overflow = false;
  while (!s->empty() && IsDigit(s->front())) {
    if (!overflow) {
      if (x > (kMaxNanos - 1) / 10) {
        overflow = true;
      } else {
        uint64_t y = x * 10 + static_cast<uint64_t>(s->front() - '0');
        if (y > kMaxNanos) {
          overflow = true;
        } else {
          x = y;
          sc *= 10;
        }
      }
    }
    s->remove_prefix(1);
  }
  *f = x;
  *scale = sc;
}

// Appends the fraction digits of v / 10^prec (trailing zeros dropped, no '.' when zero) to
// *out; returns v / 10^prec (Go's fmtFrac).
uint64_t FormatFrac(uint64_t v, int prec, std::string* out) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    uint64_t digit = v % 10;
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) *out = absl::StrCat(".", digits, *out);
  return v;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat("time: invalid duration ", Quote(text)));
  };
  absl::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return invalid();
  uint64_t d = 0;
  while (!s.empty()) {
    if (!(s.front() == '.' || IsDigit(s.front()))) return invalid();
    const size_t before_int = s.size();
    uint64_t v = 0;
    if (!LeadingInt(&s, &v)) return invalid();
    const bool pre = before_int != s.size();
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      const size_t before_frac = s.size();
      LeadingFraction(&s, &f, &scale);
      post = before_frac != s.size();
    }
    if (!pre && !post) return invalid();
    size_t i = 0;
    while (i < s.size() && s[i] != '.' && !IsDigit(s[i])) ++i;
    if (i == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: missing unit in duration ", Quote(text)));
    }
    const absl::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    std::optional<uint64_t> unit = UnitNanos(u);
    if (!unit.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: unknown unit ", Quote(u), " in duration ", Quote(text)));
    }
    if (v > kMaxNanos / *unit) return invalid();
    v *= *unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(*unit) / scale));
      if (v > kMaxNanos) return invalid();
    }
    d += v;
    if (d > kMaxNanos) return invalid();
  }
  if (neg) return absl::Nanoseconds(-static_cast<int64_t>(d - 1) - 1);
  if (d > kMaxNanos - 1) return invalid();
  return absl::Nanoseconds(static_cast<int64_t>(d));
}

std::string FormatGoDuration(absl::Duration d) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  if (nanos == 0) return "0s";
  const bool neg = nanos < 0;
  uint64_t u = neg ? uint64_t{0} - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  std::string out;
  if (u < 1000 * 1000 * 1000) {
    int prec = 0;
    if (u < 1000) {
      out = "ns";
    } else if (u < 1000 * 1000) {
      prec = 3;
      out = "\xc2\xb5s";  // µs
    } else {
      prec = 6;
      out = "ms";
    }
    u = FormatFrac(u, prec, &out);
    out = absl::StrCat(u, out);
  } else {
    out = "s";
    u = FormatFrac(u, 9, &out);
    out = absl::StrCat(u % 60, out);
    u /= 60;
    if (u > 0) {
      out = absl::StrCat(u % 60, "m", out);
      u /= 60;
      if (u > 0) out = absl::StrCat(u, "h", out);
    }
  }
  return neg ? "-" + out : out;
}

}  // namespace etcdpp::server
