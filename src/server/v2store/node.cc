#include "server/v2store/node.h"

#include <vector>

namespace etcdpp::server::v2store {

std::string CleanPath(std::string_view p) {
  std::vector<std::string_view> kept;
  while (!p.empty()) {
    size_t slash = p.find('/');
    std::string_view part = p.substr(0, slash);
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!kept.empty()) kept.pop_back();  // ".." at the root stays at the root
      continue;
    }
    kept.push_back(part);
  }
  std::string out;
  for (std::string_view part : kept) out.append("/").append(part);
  return out.empty() ? "/" : out;
}

std::string_view BaseName(std::string_view clean_path) {
  size_t slash = clean_path.rfind('/');
  return slash == std::string_view::npos ? clean_path : clean_path.substr(slash + 1);
}

void Node::LoadExpiry(NodeExtern* out, absl::Time now) const {
  if (!expire_time) return;
  out->expiration = *expire_time;
  out->ttl = TtlSeconds(*expire_time, now);
}

NodeExtern Node::Repr(bool recursive, absl::Time now) const {
  NodeExtern out{
      .key = path, .dir = dir, .modified_index = modified_index, .created_index = created_index};
  if (!dir) out.value = value;
  LoadExpiry(&out, now);
  if (dir && recursive) {
    for (const auto& [name, child] : children) {
      if (!child->hidden()) out.nodes.push_back(child->Repr(true, now));
    }
  }
  return out;
}

void Node::LoadInto(NodeExtern* out, bool recursive, absl::Time now) const {
  if (dir) {
    out->dir = true;
    for (const auto& [name, child] : children) {
      if (!child->hidden()) out->nodes.push_back(child->Repr(recursive, now));
    }
  } else {
    out->value = value;
  }
  LoadExpiry(out, now);
}

}  // namespace etcdpp::server::v2store
