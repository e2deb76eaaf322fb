#include "auth/jwt_codec.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "common/json_text.h"

namespace etcdpp::auth {
namespace {

// The 6-bit value of a base64url character, or -1.
int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Appends the UTF-8 encoding of code point `cp` (a scalar value: no surrogates).
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A recursive-descent reader over one JSON text. Every Parse* returns false on the first
// syntax error; the cursor is then meaningless.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  std::optional<std::map<std::string, JsonMember, std::less<>>> TopLevelObject() {
    std::map<std::string, JsonMember, std::less<>> members;
    SkipSpace();
    if (!ParseObject(0, &members)) return std::nullopt;
    SkipSpace();
    if (pos_ != text_.size()) return std::nullopt;
    return members;
  }

 private:
  using Members = std::map<std::string, JsonMember, std::less<>>;

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }
  bool ConsumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // An object at nesting `depth`; its members go to `out` when it is non-null.
  bool ParseObject(int depth, Members* out) {
    if (depth >= kMaxJsonDepth || !Consume('{')) return false;
    SkipSpace();
    if (Consume('}')) return true;
    do {
      SkipSpace();
      std::string name;
      if (!ParseString(&name)) return false;
      SkipSpace();
      if (!Consume(':')) return false;
      SkipSpace();
      JsonMember value;
      if (!ParseValue(depth, &value)) return false;
      if (out != nullptr && !out->emplace(std::move(name), std::move(value)).second) return false;
      SkipSpace();
    } while (Consume(','));
    return Consume('}');
  }

  bool ParseArray(int depth) {
    if (depth >= kMaxJsonDepth || !Consume('[')) return false;
    SkipSpace();
    if (Consume(']')) return true;
    do {
      SkipSpace();
      JsonMember ignored;
      if (!ParseValue(depth, &ignored)) return false;
      SkipSpace();
    } while (Consume(','));
    return Consume(']');
  }

  // A value inside a container at nesting `depth`.
  bool ParseValue(int depth, JsonMember* out) {
    using Kind = JsonMember::Kind;
    char c = Peek();
    if (c == '"') return out->kind = Kind::kString, ParseString(&out->text);
    if (c == '{') return out->kind = Kind::kNested, ParseObject(depth + 1, nullptr);
    if (c == '[') return out->kind = Kind::kNested, ParseArray(depth + 1);
    if (c == '-' || (c >= '0' && c <= '9')) return out->kind = Kind::kNumber, ParseNumber(out);
    for (std::string_view word : {"true", "false"}) {
      if (ConsumeWord(word)) return out->kind = Kind::kBool, out->text = word, true;
    }
    return out->kind = Kind::kNull, ConsumeWord("null");
  }

  bool ConsumeDigits() {
    size_t start = pos_;
    while (Peek() >= '0' && Peek() <= '9' && !AtEnd()) ++pos_;
    return pos_ > start;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool ParseNumber(JsonMember* out) {
    size_t start = pos_;
    Consume('-');
    if (!Consume('0') && !(Peek() >= '1' && Peek() <= '9' && ConsumeDigits())) return false;
    if (Consume('.') && !ConsumeDigits()) return false;
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (!ConsumeDigits()) return false;
    }
    out->text = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  // Four hex digits of a \u escape.
  bool ParseHex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return false;
    *out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      int v = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (v < 0) return false;
      *out = *out * 16 + static_cast<uint32_t>(v);
    }
    return true;
  }

  // The rest of a \u escape (the "\u" consumed): one code point, or a surrogate pair.
  bool ParseUnicodeEscape(std::string* out) {
    uint32_t cp;
    if (!ParseHex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate alone
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (!ConsumeWord("\\u") || !ParseHex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, out);
    return true;
  }

  bool ParseEscape(std::string* out) {
    if (AtEnd()) return false;
    char c = text_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out->push_back(c);
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        return ParseUnicodeEscape(out);
      default:
        return false;
    }
  }

  // A string literal (the cursor on its opening quote), decoded into `out`.
  bool ParseString(std::string* out) {
    if (!Consume('"')) return false;
    while (!AtEnd()) {
      char c = text_[pos_];
      if (c == '"') return ++pos_, true;
      if (c == '\\') {
        ++pos_;
        if (!ParseEscape(out)) return false;
        continue;
      }
      if (static_cast<uint8_t>(c) < 0x20) return false;
      size_t n = Utf8SequenceLength(text_.substr(pos_));
      if (n == 0) return false;
      out->append(text_.substr(pos_, n));
      pos_ += n;
    }
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  return absl::WebSafeBase64Escape(AbslView(bytes));
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-zero unused bits
  return out;
}

std::optional<std::map<std::string, JsonMember, std::less<>>> ParseJsonObject(
    std::string_view text) {
  return JsonReader(text).TopLevelObject();
}

}  // namespace etcdpp::auth
