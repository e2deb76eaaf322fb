#include "go_json.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace etcdpp::etcdctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The Go name of a oneof field: protoc-gen-gogo's CamelCase("target_union") = "TargetUnion".
std::string GoCamel(absl::string_view s) {
  std::string out;
  bool up = true;
  for (char c : s) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? absl::ascii_toupper(c) : c;
    up = false;
  }
  return out;
}

std::string Scalar(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return absl::StrCat(rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      return f->type() == FieldDescriptor::TYPE_BYTES ? absl::StrCat("\"", Base64(s), "\"")
                                                      : GoJsonString(s);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return GoJson(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
    default:
      return "null";
  }
}

// Whether Go's omitempty leaves the (singular) field out: a zero value or an unset message.
bool IsEmpty(const Message& m, const FieldDescriptor* f) {
  const Reflection* r = m.GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return !r->HasField(m, f);
  std::string v = Scalar(m, f, 0);
  return v == "0" || v == "false" || v == "\"\"";
}

std::string FieldValue(const Message& m, const FieldDescriptor* f) {
  if (!f->is_repeated()) return Scalar(m, f, 0);
  std::string out = "[";
  int n = m.GetReflection()->FieldSize(m, f);
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, i ? "," : "", Scalar(m, f, i));
  return out + "]";
}

void Member(std::string* out, bool* first, absl::string_view name, absl::string_view value) {
  absl::StrAppend(out, *first ? "" : ",", GoJsonString(name), ":", value);
  *first = false;
}

// A oneof, Go's interface field: null when unset, else the wrapper struct {"<Field>": value},
// whose field has no json tag and so is named by its Go name (omitempty does not apply).
std::string OneofValue(const Message& m, const google::protobuf::OneofDescriptor* o) {
  const FieldDescriptor* set = m.GetReflection()->GetOneofFieldDescriptor(m, o);
  if (set == nullptr) return "null";
  std::string inner;
  bool first = true;
  Member(&inner, &first, GoCamel(set->name()), FieldValue(m, set));
  return absl::StrCat("{", inner, "}");
}

}  // namespace

std::string Base64(absl::string_view bytes) { return absl::Base64Escape(bytes); }

std::string GoJsonString(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '<':
      case '>':
      case '&':
        out += absl::StrFormat("\\u%04x", c);
        continue;
    }
    if (c < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Multi-byte: copy valid UTF-8, U+2028/2029 escaped, invalid bytes as U+FFFD.
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    bool valid = n > 0 && c <= 0xF4 && i + n <= s.size();
    uint32_t r = valid ? (c & (0x7F >> n)) : 0;
    for (int k = 1; valid && k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      valid = (cc & 0xC0) == 0x80;
      r = (r << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    valid = valid && r >= kMin[n] && r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF);
    if (!valid) {
      out += "\\ufffd";
      continue;
    }
    if (r == 0x2028 || r == 0x2029) {
      out += absl::StrFormat("\\u%04x", r);
    } else {
      out.append(s.data() + i, n);
    }
    i += n - 1;
  }
  return out + "\"";
}

void AppendGoJsonFields(const Message& m, std::string* out, bool* first) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  std::set<const google::protobuf::OneofDescriptor*> done;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (const auto* o = f->real_containing_oneof(); o != nullptr) {
      if (done.insert(o).second) Member(out, first, GoCamel(o->name()), OneofValue(m, o));
      continue;
    }
    if (f->is_repeated() ? r->FieldSize(m, f) == 0 : IsEmpty(m, f)) continue;
    Member(out, first, f->name(), FieldValue(m, f));
  }
}

std::string GoJson(const Message& m) {
  std::string out = "{";
  bool first = true;
  AppendGoJsonFields(m, &out, &first);
  return out + "}";
}

void ClearNewerFields(Message* m) {
  static const std::set<std::string> kNewer = {
      "etcdserverpb.HashKVResponse.hash_revision", "etcdserverpb.SnapshotResponse.version",
      "etcdserverpb.StatusResponse.storageVersion", "etcdserverpb.StatusResponse.dbSizeQuota",
      "etcdserverpb.StatusResponse.downgradeInfo"};
  const Descriptor* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (kNewer.count(f->full_name())) {
      r->ClearField(m, f);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(*m, f); ++k) {
          ClearNewerFields(r->MutableRepeatedMessage(m, f, k));
        }
      } else if (r->HasField(*m, f)) {
        ClearNewerFields(r->MutableMessage(m, f));
      }
    }
  }
}

}  // namespace etcdpp::etcdctl
