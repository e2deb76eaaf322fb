#include "common/v2client/keys_format.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"

namespace etcdpp::v2client {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kInvalidJson[] =
    "client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint.";

const Value* Field(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || it->second.kind_case() == Value::kNullValue) return nullptr;
  return &it->second;
}

std::string Str(const Struct& s, const char* name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

// JSON numbers arrive as doubles; the indexes and TTLs etcd sends fit in 53 bits.
double Num(const Struct& s, const char* name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->kind_case() == Value::kNumberValue ? v->number_value() : 0;
}

Node ToNode(const Struct& s) {
  Node n;
  n.key = Str(s, "key");
  const Value* dir = Field(s, "dir");
  n.dir = dir != nullptr && dir->kind_case() == Value::kBoolValue && dir->bool_value();
  n.value = Str(s, "value");
  if (const Value* nodes = Field(s, "nodes");
      nodes != nullptr && nodes->kind_case() == Value::kListValue) {
    n.has_nodes = true;
    for (const Value& child : nodes->list_value().values()) {
      if (child.kind_case() == Value::kStructValue) n.nodes.push_back(ToNode(child.struct_value()));
    }
  }
  n.created_index = static_cast<uint64_t>(Num(s, "createdIndex"));
  n.modified_index = static_cast<uint64_t>(Num(s, "modifiedIndex"));
  n.expiration = Str(s, "expiration");
  n.ttl = static_cast<int64_t>(Num(s, "ttl"));
  return n;
}

absl::StatusOr<Struct> ParseObject(const std::string& body) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(body, &s).ok()) {
    return absl::InvalidArgumentError(kInvalidJson);
  }
  return s;
}

void AppendNodeJson(const Node& n, std::string* out) {
  *out += "{\"key\":";
  AppendGoJsonQuote(n.key, out);
  if (n.dir) *out += ",\"dir\":true";
  *out += ",\"value\":";
  AppendGoJsonQuote(n.value, out);
  *out += ",\"nodes\":";
  if (!n.has_nodes) {
    *out += "null";
  } else {
    *out += "[";
    for (size_t i = 0; i < n.nodes.size(); ++i) {
      if (i > 0) *out += ",";
      AppendNodeJson(n.nodes[i], out);
    }
    *out += "]";
  }
  absl::StrAppend(out, ",\"createdIndex\":", n.created_index,
                  ",\"modifiedIndex\":", n.modified_index);
  if (!n.expiration.empty()) {
    *out += ",\"expiration\":";
    AppendGoJsonQuote(n.expiration, out);
  }
  if (n.ttl != 0) absl::StrAppend(out, ",\"ttl\":", n.ttl);
  *out += "}";
}

void AppendLs(const Node& n, bool slash_dirs, std::string* out) {
  absl::StrAppend(out, n.key, n.dir && slash_dirs ? "/" : "", "\n");
  for (const Node& child : n.nodes) AppendLs(child, slash_dirs, out);
}

}  // namespace

std::string KeysError::Text() const {
  return absl::StrCat(code, ": ", message, " (", cause, ") [", index, "]");
}

absl::StatusOr<Response> ParseResponse(const std::string& body, const std::string& etcd_index) {
  absl::StatusOr<Struct> s = ParseObject(body);
  if (!s.ok()) return s.status();
  Response r;
  r.action = Str(*s, "action");
  if (const Value* v = Field(*s, "node"); v != nullptr && v->kind_case() == Value::kStructValue) {
    r.node = ToNode(v->struct_value());
  }
  if (const Value* v = Field(*s, "prevNode");
      v != nullptr && v->kind_case() == Value::kStructValue) {
    r.prev_node = ToNode(v->struct_value());
  }
  if (!etcd_index.empty() && !absl::SimpleAtoi(etcd_index, &r.index)) {
    return absl::InvalidArgumentError(
        absl::StrCat("strconv.ParseUint: parsing \"", etcd_index, "\": invalid syntax"));
  }
  return r;
}

absl::StatusOr<KeysError> ParseKeysError(const std::string& body) {
  absl::StatusOr<Struct> s = ParseObject(body);
  if (!s.ok()) return s.status();
  KeysError e;
  e.code = static_cast<int>(Num(*s, "errorCode"));
  e.message = Str(*s, "message");
  e.cause = Str(*s, "cause");
  e.index = static_cast<uint64_t>(Num(*s, "index"));
  return e;
}

std::string ResponseJson(const Response& resp) {
  std::string out = "{\"action\":";
  AppendGoJsonQuote(resp.action, &out);
  out += ",\"node\":";
  if (resp.node) {
    AppendNodeJson(*resp.node, &out);
  } else {
    out += "null";
  }
  out += ",\"prevNode\":";
  if (resp.prev_node) {
    AppendNodeJson(*resp.prev_node, &out);
  } else {
    out += "null";
  }
  out += "}";
  return out;
}

std::optional<std::string> FormatResponse(const Response& resp, const std::string& format) {
  static const Node kEmpty;
  const Node& node = resp.node ? *resp.node : kEmpty;
  if (format == "simple") {
    if (resp.action != "delete") return absl::StrCat(node.value, "\n");
    return absl::StrCat("PrevNode.Value: ", resp.prev_node ? resp.prev_node->value : "", "\n");
  }
  if (format == "extended") {
    std::string out = absl::StrCat("Key: ", node.key, "\nCreated-Index: ", node.created_index,
                                   "\nModified-Index: ", node.modified_index, "\n");
    if (resp.prev_node) absl::StrAppend(&out, "PrevNode.Value: ", resp.prev_node->value, "\n");
    absl::StrAppend(&out, "TTL: ", node.ttl, "\nIndex: ", resp.index, "\n");
    if (resp.action != "delete") absl::StrAppend(&out, "\n", node.value, "\n");
    return out;
  }
  if (format == "json") return ResponseJson(resp) + "\n";
  return std::nullopt;
}

std::string FormatLs(const Response& resp, bool slash_dirs) {
  std::string out;
  if (!resp.node) return out;
  if (!resp.node->dir) absl::StrAppend(&out, resp.node->key, "\n");
  for (const Node& child : resp.node->nodes) AppendLs(child, slash_dirs, &out);
  return out;
}

}  // namespace etcdpp::v2client
