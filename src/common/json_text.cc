#include "common/json_text.h"

#include <cstdint>

namespace etcdpp {
namespace {

// Appends `c` escaped when JSON requires it (quote, backslash, control characters). Returns
// false when `c` needs no escape.
bool AppendEscaped(char c, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      *out += "\\\"";
      return true;
    case '\\':
      *out += "\\\\";
      return true;
    case '\n':
      *out += "\\n";
      return true;
    case '\r':
      *out += "\\r";
      return true;
    case '\t':
      *out += "\\t";
      return true;
    default:
      break;
  }
  auto b = static_cast<uint8_t>(c);
  if (b >= 0x20) return false;
  *out += "\\u00";
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 0xF]);
  return true;
}

// Appends Go's HTML-safe escape of `text[i...]` (<, >, &, U+2028, U+2029) and returns the
// number of bytes it stands for, or 0 when Go writes the bytes as they are.
size_t AppendGoHtmlEscaped(std::string_view text, size_t i, std::string* out) {
  switch (text[i]) {
    case '<':
      *out += "\\u003c";
      return 1;
    case '>':
      *out += "\\u003e";
      return 1;
    case '&':
      *out += "\\u0026";
      return 1;
    default:
      break;
  }
  std::string_view rest = text.substr(i);
  if (rest.starts_with("\xe2\x80\xa8") || rest.starts_with("\xe2\x80\xa9")) {
    *out += rest[2] == '\xa8' ? "\\u2028" : "\\u2029";
    return 3;
  }
  return 0;
}

// Appends the quoted form of `text`; an ill-formed byte is replaced by `bad` or, when `bad` is
// null, ends the encoding with false. `go_html` adds Go's HTML-safe escapes.
bool AppendQuoted(std::string_view text, const char* bad, std::string* out, bool go_html = false) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    if (AppendEscaped(text[i], out)) {
      ++i;
      continue;
    }
    if (size_t m = go_html ? AppendGoHtmlEscaped(text, i, out) : 0; m > 0) {
      i += m;
      continue;
    }
    size_t n = Utf8SequenceLength(text.substr(i));
    if (n == 0) {
      if (bad == nullptr) return false;
      *out += bad;
      ++i;
      continue;
    }
    out->append(text.substr(i, n));
    i += n;
  }
  out->push_back('"');
  return true;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) return 0;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (b0 == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (b0 == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

std::optional<std::string> JsonQuote(std::string_view utf8) {
  std::string out;
  if (!AppendQuoted(utf8, nullptr, &out)) return std::nullopt;
  return out;
}

void AppendJsonQuoteLossy(std::string_view text, std::string* out) {
  AppendQuoted(text, "\\ufffd", out);
}

void AppendGoJsonQuote(std::string_view text, std::string* out) {
  AppendQuoted(text, "\\ufffd", out, /*go_html=*/true);
}

}  // namespace etcdpp
