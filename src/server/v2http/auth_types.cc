#include "server/v2http/auth_types.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/apply/v2_apply.h"

namespace etcdpp::server::v2http {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// simpleMatch: a trailing '*' makes the pattern a prefix. (etcd indexes pattern[len-1] and so
// panics on an empty pattern; an empty one matches nothing here.)
bool SimpleMatch(std::string_view pattern, std::string_view key) {
  if (pattern.empty()) return false;
  if (pattern.back() == '*') return key.starts_with(pattern.substr(0, pattern.size() - 1));
  return key == pattern;
}

bool PrefixMatch(std::string_view pattern, std::string_view key) {
  if (pattern.empty() || pattern.back() != '*') return false;
  return key.starts_with(pattern.substr(0, pattern.size() - 1));
}

const NilableList& ListFor(const RWPermission& p, bool write) { return write ? p.write : p.read; }

void AppendPermissions(const Permissions& p, std::string* out) {
  *out += "{\"kv\":{\"read\":";
  AppendStringList(p.kv.read, out);
  *out += ",\"write\":";
  AppendStringList(p.kv.write, out);
  *out += "}}";
}

// Go's json.Unmarshal of a []string field: null leaves it nil, a list of strings sets it,
// anything else fails.
bool ReadList(const Struct& s, const char* name, NilableList* out) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || it->second.kind_case() == Value::kNullValue) return true;
  if (it->second.kind_case() != Value::kListValue) return false;
  out->emplace();
  for (const Value& v : it->second.list_value().values()) {
    if (v.kind_case() != Value::kStringValue) return false;
    (*out)->push_back(v.string_value());
  }
  return true;
}

bool ReadString(const Struct& s, const char* name, std::string* out) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || it->second.kind_case() == Value::kNullValue) return true;
  if (it->second.kind_case() != Value::kStringValue) return false;
  *out = it->second.string_value();
  return true;
}

// Reads a Permissions object; `present` says whether the field was there (and not null).
bool ReadPermissions(const Struct& s, const char* name, Permissions* out, bool* present) {
  auto it = s.fields().find(name);
  *present = false;
  if (it == s.fields().end() || it->second.kind_case() == Value::kNullValue) return true;
  if (it->second.kind_case() != Value::kStructValue) return false;
  *present = true;
  const Struct& p = it->second.struct_value();
  auto kv = p.fields().find("kv");
  if (kv == p.fields().end() || kv->second.kind_case() == Value::kNullValue) return true;
  if (kv->second.kind_case() != Value::kStructValue) return false;
  return ReadList(kv->second.struct_value(), "read", &out->kv.read) &&
         ReadList(kv->second.struct_value(), "write", &out->kv.write);
}

std::optional<Struct> ParseObject(std::string_view json) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &s).ok()) {
    return std::nullopt;
  }
  return s;
}

// The set arithmetic of etcd's merges (types.unsafeSet), giving sorted lists.
std::vector<std::string> Sorted(std::set<std::string> s) { return {s.begin(), s.end()}; }
std::set<std::string> ToSet(const NilableList& l) {
  if (!l.has_value()) return {};
  return {l->begin(), l->end()};
}

AuthOr<RWPermission> GrantRW(const RWPermission& rw, const RWPermission& n) {
  std::set<std::string> read = ToSet(rw.read);
  for (const std::string& r : n.read.value_or(std::vector<std::string>{})) {
    if (!read.insert(r).second) {
      return AuthErr(409, absl::StrCat("Granting duplicate read permission ", r));
    }
  }
  std::set<std::string> write = ToSet(rw.write);
  for (const std::string& w : n.write.value_or(std::vector<std::string>{})) {
    if (!write.insert(w).second) {
      return AuthErr(409, absl::StrCat("Granting duplicate write permission ", w));
    }
  }
  return RWPermission{Sorted(std::move(read)), Sorted(std::move(write))};
}

std::vector<std::string> Without(const NilableList& have, const NilableList& drop) {
  std::set<std::string> s = ToSet(have);
  for (const std::string& d : drop.value_or(std::vector<std::string>{})) s.erase(d);
  return Sorted(std::move(s));
}

}  // namespace

HttpError HttpErr(int status, std::string_view message) {
  std::string body = "{\"message\":";
  AppendGoJsonQuote(message, &body);
  return HttpError{status, body + "}", std::nullopt};
}

bool RWPermission::HasAccess(std::string_view key, bool write_access) const {
  const NilableList& l = ListFor(*this, write_access);
  if (!l.has_value()) return false;
  return std::any_of(l->begin(), l->end(),
                     [&](const std::string& p) { return SimpleMatch(p, key); });
}

bool RWPermission::HasRecursiveAccess(std::string_view key, bool write_access) const {
  const NilableList& l = ListFor(*this, write_access);
  if (!l.has_value()) return false;
  return std::any_of(l->begin(), l->end(),
                     [&](const std::string& p) { return PrefixMatch(p, key); });
}

bool Permissions::IsEmpty() const {
  return (!kv.read.has_value() || kv.read->empty()) && (!kv.write.has_value() || kv.write->empty());
}

bool Role::HasKeyAccess(std::string_view key, bool write_access) const {
  return role == kRootRoleName || permissions.kv.HasAccess(key, write_access);
}

bool Role::HasRecursiveAccess(std::string_view key, bool write_access) const {
  return role == kRootRoleName || permissions.kv.HasRecursiveAccess(key, write_access);
}

Role RootRole() {
  return Role{std::string(kRootRoleName), {{std::vector<std::string>{"/*"}, {{"/*"}}}}, {}, {}};
}

Role DefaultGuestRole() {
  return Role{std::string(kGuestRoleName), {{std::vector<std::string>{"/*"}, {{"/*"}}}}, {}, {}};
}

void AppendStringList(const NilableList& l, std::string* out) {
  if (l.has_value()) {
    AppendJsonStrings(*l, false, out);
  } else {
    *out += "null";
  }
}

std::string RoleJson(const Role& r) {
  std::string out = "{\"role\":";
  AppendGoJsonQuote(r.role, &out);
  out += ",\"permissions\":";
  AppendPermissions(r.permissions, &out);
  if (r.grant.has_value()) {
    out += ",\"grant\":";
    AppendPermissions(*r.grant, &out);
  }
  if (r.revoke.has_value()) {
    out += ",\"revoke\":";
    AppendPermissions(*r.revoke, &out);
  }
  return out + "}";
}

std::string UserJson(const User& u) {
  std::string out = "{\"user\":";
  AppendGoJsonQuote(u.user, &out);
  if (!u.password.empty()) {
    out += ",\"password\":";
    AppendGoJsonQuote(u.password, &out);
  }
  out += ",\"roles\":";
  AppendStringList(u.roles, &out);
  if (!u.grant.empty()) {
    out += ",\"grant\":";
    AppendJsonStrings(u.grant, false, &out);
  }
  if (!u.revoke.empty()) {
    out += ",\"revoke\":";
    AppendJsonStrings(u.revoke, false, &out);
  }
  return out + "}";
}

std::optional<Role> ParseRole(std::string_view json) {
  std::optional<Struct> s = ParseObject(json);
  if (!s.has_value()) return std::nullopt;
  Role r;
  bool present = false;
  Permissions grant, revoke;
  if (!ReadString(*s, "role", &r.role) ||
      !ReadPermissions(*s, "permissions", &r.permissions, &present) ||
      !ReadPermissions(*s, "grant", &grant, &present)) {
    return std::nullopt;
  }
  if (present) r.grant = grant;
  if (!ReadPermissions(*s, "revoke", &revoke, &present)) return std::nullopt;
  if (present) r.revoke = revoke;
  return r;
}

std::optional<User> ParseUser(std::string_view json) {
  std::optional<Struct> s = ParseObject(json);
  if (!s.has_value()) return std::nullopt;
  User u;
  NilableList grant, revoke;
  if (!ReadString(*s, "user", &u.user) || !ReadString(*s, "password", &u.password) ||
      !ReadList(*s, "roles", &u.roles) || !ReadList(*s, "grant", &grant) ||
      !ReadList(*s, "revoke", &revoke)) {
    return std::nullopt;
  }
  u.grant = grant.value_or(std::vector<std::string>{});
  u.revoke = revoke.value_or(std::vector<std::string>{});
  return u;
}

AuthOr<User> MergeUser(const User& old, const User& change, const std::string& new_hash) {
  if (old.user != change.user) {
    return AuthErr(409, absl::StrCat("Merging user data with conflicting usernames: ", old.user,
                                     " ", change.user));
  }
  User out;
  out.user = old.user;
  out.password = new_hash.empty() ? old.password : new_hash;
  std::set<std::string> roles = ToSet(old.roles);
  for (const std::string& g : change.grant) {
    if (!roles.insert(g).second) {
      return AuthErr(409, absl::StrCat("Granting duplicate role ", g, " for user ", change.user));
    }
  }
  for (const std::string& r : change.revoke) {
    if (roles.erase(r) == 0) {
      return AuthErr(409, absl::StrCat("Revoking ungranted role ", r, " for user ", change.user));
    }
  }
  out.roles = Sorted(std::move(roles));
  return out;
}

AuthOr<Role> MergeRole(const Role& old, const Role& change) {
  if (old.role != change.role) {
    return AuthErr(
        409, absl::StrCat("Merging role with conflicting names: ", old.role, " ", change.role));
  }
  Role out;
  out.role = old.role;
  out.permissions = old.permissions;
  if (change.grant.has_value()) {
    AuthOr<RWPermission> granted = GrantRW(old.permissions.kv, change.grant->kv);
    if (!granted.ok()) return granted.error();
    out.permissions.kv = granted.value();
  }
  if (change.revoke.has_value()) {
    out.permissions.kv = RWPermission{Without(out.permissions.kv.read, change.revoke->kv.read),
                                      Without(out.permissions.kv.write, change.revoke->kv.write)};
  }
  return out;
}

User AttachRootRole(User u) {
  if (!u.roles.has_value()) u.roles.emplace();
  if (std::find(u.roles->begin(), u.roles->end(), kRootRoleName) == u.roles->end()) {
    u.roles->emplace_back(kRootRoleName);
  }
  return u;
}

}  // namespace etcdpp::server::v2http
