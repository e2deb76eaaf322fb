#include "output.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/go_text.h"
#include "go_json.h"

namespace etcdpp::etcdctl {
namespace {

std::string HexEscaped(absl::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += absl::StrFormat("\\x%02x", c);
  return out;
}

size_t Width(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string Border(const std::vector<size_t>& widths) {
  std::string line = "+";
  for (size_t w : widths) absl::StrAppend(&line, std::string(w + 2, '-'), "+");
  return line + "\n";
}

}  // namespace

std::string Hex(uint64_t v) { return absl::StrFormat("%x", v); }
std::string Hex16(uint64_t v) { return absl::StrFormat("%016x", v); }

void PrintKV(const Output& out, bool value_only, const mvccpb::KeyValue& kv) {
  std::string k = out.hex ? HexEscaped(kv.key()) : kv.key();
  std::string v = out.hex ? HexEscaped(kv.value()) : kv.value();
  if (!value_only) std::cout << k << "\n";
  std::cout << v << "\n";
}

void FieldsHeader(const etcdserverpb::ResponseHeader& h) {
  std::cout << "\"ClusterID\" : " << h.cluster_id() << "\n"
            << "\"MemberID\" : " << h.member_id() << "\n"
            << "\"Revision\" : " << h.revision() << "\n"
            << "\"RaftTerm\" : " << h.raft_term() << "\n";
}

void FieldsKV(absl::string_view p, const mvccpb::KeyValue& kv) {
  std::cout << "\"" << p << "Key\" : " << GoQuote(kv.key()) << "\n"
            << "\"" << p << "CreateRevision\" : " << kv.create_revision() << "\n"
            << "\"" << p << "ModRevision\" : " << kv.mod_revision() << "\n"
            << "\"" << p << "Version\" : " << kv.version() << "\n"
            << "\"" << p << "Value\" : " << GoQuote(kv.value()) << "\n"
            << "\"" << p << "Lease\" : " << kv.lease() << "\n";
}

absl::string_view FormatName(Format f) {
  switch (f) {
    case Format::kSimple:
      return "simple";
    case Format::kJson:
      return "json";
    case Format::kFields:
      return "fields";
    case Format::kTable:
      return "table";
    case Format::kProtobuf:
      return "protobuf";
  }
  return "";
}

int Unsupported(const Output& out) {
  return Fail(kExitBadFeature,
              absl::StrCat(FormatName(out.format), " not supported as output format"));
}

bool PrintRpc(const Output& out, google::protobuf::Message& m) {
  if (out.format != Format::kJson && out.format != Format::kProtobuf) return false;
  ClearNewerFields(&m);
  if (out.format == Format::kJson) {
    std::cout << GoJson(m) << "\n";
  } else {
    std::cout << m.SerializeAsString();
  }
  std::cout << std::flush;
  return true;
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> titles;
  for (const std::string& h : header) {
    std::string t = absl::StrReplaceAll(h, {{"_", " "}, {".", " "}});
    titles.push_back(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(t)));
  }
  std::vector<size_t> widths;
  for (const auto& t : titles) widths.push_back(Width(t));
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  std::string out = Border(widths) + "|";
  for (size_t i = 0; i < titles.size(); ++i) {
    size_t pad = widths[i] - Width(titles[i]);
    size_t left = pad / 2;
    absl::StrAppend(&out, " ", std::string(left, ' '), titles[i], std::string(pad - left, ' '),
                    " |");
  }
  out += "\n" + Border(widths);
  for (const auto& row : rows) {
    out += "|";
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      absl::StrAppend(&out, " ", std::string(widths[i] - Width(cell), ' '), cell, " |");
    }
    out += "\n";
  }
  out += Border(widths);
  return out;
}

}  // namespace etcdpp::etcdctl
