#include "server/http/json_codec.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "google/protobuf/util/json_util.h"
#include "server/http/responder.h"

namespace etcdpp::server::http {
namespace {

// A JSON string as Go's encoding/json writes it (the gateway's error bodies).
std::string Quote(absl::string_view s) {
  std::string out;
  AppendGoJsonQuote(std::string_view(s.data(), s.size()), &out);
  return out;
}

// True when the text ends inside a value (an object/array/string left open): Go's decoder
// then says "unexpected EOF".
bool Truncated(absl::string_view s) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
  }
  return in_string || depth > 0;
}

// Where Go's base64.StdEncoding.Decode stops on `s` (the index its CorruptInputError names),
// or -1 when `s` decodes.
int GoBase64ErrorIndex(absl::string_view s) {
  auto valid = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  auto skip_newlines = [&](size_t i) {
    while (i < s.size() && (s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
  };
  size_t si = 0;
  for (;;) {
    for (int j = 0; j < 4; ++j) {
      if (si == s.size()) return j == 0 ? -1 : static_cast<int>(si - j);
      char in = s[si++];
      if (valid(in)) continue;
      if (in == '\n' || in == '\r') {
        --j;
        continue;
      }
      if (in != '=' || j < 2) return static_cast<int>(si - 1);
      if (j == 2) {
        si = skip_newlines(si);
        if (si == s.size()) return static_cast<int>(s.size());
        if (s[si] != '=') return static_cast<int>(si - 1);
        ++si;
      }
      si = skip_newlines(si);
      return si < s.size() ? static_cast<int>(si) : -1;
    }
  }
}

// The C++ parser's "(key): invalid value \"Zm9\" for type TYPE_BYTES" in Go's words.
std::string GoParseError(absl::string_view cpp_message) {
  size_t open = cpp_message.find("invalid value \"");
  size_t close = cpp_message.rfind("\" for type TYPE_BYTES");
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open + 15) {
    return std::string(cpp_message);
  }
  int at = GoBase64ErrorIndex(cpp_message.substr(open + 15, close - open - 15));
  if (at < 0) return std::string(cpp_message);
  return absl::StrCat("illegal base64 data at input byte ", at);
}

}  // namespace

[[nodiscard]] absl::Status JsonToProto(absl::string_view body, google::protobuf::Message* msg) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(body);
  if (trimmed.empty()) return absl::OkStatus();  // io.EOF: the empty request
  if (Truncated(trimmed)) return absl::InvalidArgumentError("unexpected EOF");
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(trimmed.data(), trimmed.size()), msg, opts);
  if (!st.ok())
    return absl::InvalidArgumentError(
        GoParseError(absl::string_view(st.message().data(), st.message().size())));
  // An unknown name is ignored, as grpc-gateway does; but the C++ parser keeps an object under
  // the empty name ("": {...}) as unknown fields of the message, which would then travel on
  // (found by the gateway_json fuzzer). Nothing unknown stays.
  msg->DiscardUnknownFields();
  return absl::OkStatus();
}

std::string ProtoToJson(const google::protobuf::Message& msg) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(msg, &out, opts);
  return out;
}

int HttpStatusFromGrpcCode(int code) {
  static constexpr int kTable[] = {200, 408, 500, 400, 504, 404, 409, 403, 429,
                                   412, 409, 400, 501, 500, 503, 500, 401};
  return code >= 0 && code < 17 ? kTable[code] : 500;
}

std::string ErrorBody(int code, absl::string_view message) {
  std::string out = "{";
  if (!message.empty())
    absl::StrAppend(&out, "\"error\":", Quote(message), ",\"message\":", Quote(message), ",");
  absl::StrAppend(&out, "\"code\":", code, "}");
  return out;
}

std::string StreamErrorChunk(int code, absl::string_view message) {
  int http = HttpStatusFromGrpcCode(code);
  std::string out = absl::StrCat("{\"error\":{\"grpc_code\":", code, ",\"http_code\":", http);
  if (!message.empty()) absl::StrAppend(&out, ",\"message\":", Quote(message));
  absl::StrAppend(&out, ",\"http_status\":", Quote(StatusText(http)), "}}");
  return out;
}

std::vector<std::string> SplitJsonValues(absl::string_view body) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_string = false;
  size_t start = std::string::npos;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (start == std::string::npos) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
      start = i;
    }
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) {
      out.emplace_back(body.substr(start, i + 1 - start));
      start = std::string::npos;
    }
  }
  if (start != std::string::npos) out.emplace_back(body.substr(start));
  return out;
}

}  // namespace etcdpp::server::http
