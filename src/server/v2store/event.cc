#include "server/v2store/event.h"

#include "absl/strings/str_cat.h"
#include "common/json_text.h"

namespace etcdpp::server::v2store {
namespace {

void AppendNode(const NodeExtern& n, std::string* out) {
  std::string_view sep = "";
  auto field = [&](std::string_view name) {
    out->append(sep).append("\"").append(name).append("\":");
    sep = ",";
  };
  out->push_back('{');
  if (!n.key.empty()) {
    field("key");
    AppendGoJsonQuote(n.key, out);
  }
  if (n.value) {
    field("value");
    AppendGoJsonQuote(*n.value, out);
  }
  if (n.dir) {
    field("dir");
    *out += "true";
  }
  if (n.expiration) {
    field("expiration");
    absl::StrAppend(out, "\"", GoRfc3339Nano(*n.expiration), "\"");
  }
  if (n.ttl != 0) {
    field("ttl");
    absl::StrAppend(out, n.ttl);
  }
  if (!n.nodes.empty()) {
    field("nodes");
    out->push_back('[');
    for (size_t i = 0; i < n.nodes.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendNode(n.nodes[i], out);
    }
    out->push_back(']');
  }
  if (n.modified_index != 0) {
    field("modifiedIndex");
    absl::StrAppend(out, n.modified_index);
  }
  if (n.created_index != 0) {
    field("createdIndex");
    absl::StrAppend(out, n.created_index);
  }
  out->push_back('}');
}

}  // namespace

std::string GoRfc3339Nano(absl::Time t) {
  // absl's %E*S writes the fraction without trailing zeros, as Go's .999999999 layout does;
  // absl::Time is finer than Go's nanoseconds, so truncate to them first.
  absl::Time ns = absl::FromUnixNanos(absl::ToUnixNanos(t));
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", ns, absl::UTCTimeZone());
}

int64_t TtlSeconds(absl::Time expire, absl::Time now) {
  int64_t left = absl::ToInt64Nanoseconds(expire - now);  // saturates, as Go's Sub
  constexpr int64_t kSecond = 1000000000;
  int64_t ttl = left / kSecond;
  if (left % kSecond > 0) ++ttl;
  return ttl;
}

std::string NodeToJson(const NodeExtern& n) {
  std::string out;
  AppendNode(n, &out);
  return out;
}

std::string EventToJson(const Event& e) {
  std::string out = "{\"action\":";
  AppendGoJsonQuote(e.action, &out);
  if (e.node) {
    out += ",\"node\":";
    AppendNode(*e.node, &out);
  }
  if (e.prev_node) {
    out += ",\"prevNode\":";
    AppendNode(*e.prev_node, &out);
  }
  out.push_back('}');
  return out;
}

}  // namespace etcdpp::server::v2store
