#include "server/v2http/auth_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "auth/bcrypt.h"
#include "server/v2store/error.h"
#include "server/v2store/node.h"

namespace etcdpp::server::v2http {
namespace {

using v2store::kEcodeKeyNotFound;
using v2store::kEcodeNodeExist;

std::string ResourcePath(const std::string& res) {
  return v2store::CleanPath(std::string(kV2AuthPrefix) + "/" + res);
}

// The last element of a store key (Go's path.Split).
std::string BaseName(const std::string& key) { return key.substr(key.rfind('/') + 1); }

// Go's json.Unmarshal of the enabled flag's value: true only for the JSON literal true.
bool ParseEnabled(const std::string& v) {
  const size_t b = v.find_first_not_of(" \t\r\n");
  const size_t e = v.find_last_not_of(" \t\r\n");
  return b != std::string::npos && v.substr(b, e - b + 1) == "true";
}

const HttpError& InternalError() {
  static const HttpError* e = new HttpError(HttpErr(500, "Internal Server Error"));
  return *e;
}

}  // namespace

DoResult AuthStore::Request(const std::string& res, bool quorum) {
  internalpb::V2Request r;
  r.set_method(quorum ? "QGET" : "GET");
  r.set_path(ResourcePath(res));
  return do_(std::move(r));
}

DoResult AuthStore::Set(const std::string& res, std::string value, bool prev_exist) {
  if (AuthStatus st = EnsureAuthDirectories(); st.has_value()) return DoResult{0, st, {}, {}};
  internalpb::V2Request r;
  r.set_method("PUT");
  r.set_path(ResourcePath(res));
  r.set_val(std::move(value));
  r.set_prev_exist(prev_exist);
  return do_(std::move(r));
}

DoResult AuthStore::Delete(const std::string& res) {
  if (AuthStatus st = EnsureAuthDirectories(); st.has_value()) return DoResult{0, st, {}, {}};
  internalpb::V2Request r;
  r.set_method("DELETE");
  r.set_path(ResourcePath(res));
  r.set_prev_exist(true);
  return do_(std::move(r));
}

// etcd's ensureAuthDirectories: /2, /2/users/, /2/roles/ and /2/enabled ("false") made unless
// they exist, once per member process.
AuthStatus AuthStore::EnsureAuthDirectories() {
  if (ensured_once_.load()) return std::nullopt;
  for (const char* dir : {"", "users/", "roles/"}) {
    internalpb::V2Request r;
    r.set_method("PUT");
    r.set_path(ResourcePath(dir));
    r.set_dir(true);
    r.set_prev_exist(false);
    DoResult d = do_(std::move(r));
    if (!d.ok() && d.code != kEcodeNodeExist) return d.error;
  }
  internalpb::V2Request r;
  r.set_method("PUT");
  r.set_path(ResourcePath("enabled"));
  r.set_val("false");
  r.set_prev_exist(false);
  DoResult d = do_(std::move(r));
  if (!d.ok() && d.code != kEcodeNodeExist) return d.error;
  ensured_once_.store(true);
  return std::nullopt;
}

AuthOr<std::string> AuthStore::Hash(const std::string& password) const {
  absl::StatusOr<std::string> h = auth::BcryptHash(password, bcrypt_cost_);
  if (!h.ok()) return InternalError();
  return *h;
}

bool AuthStore::CheckPassword(const User& user, const std::string& password) {
  return auth::BcryptVerify(password, user.password);
}

AuthOr<std::vector<std::string>> AuthStore::List(const std::string& res) {
  DoResult d = Request(res, false);
  if (!d.ok()) return *d.error;
  std::vector<std::string> names;
  for (const std::string& k : d.children) names.push_back(BaseName(k));
  return names;
}

AuthOr<std::vector<std::string>> AuthStore::AllUsers() {
  AuthOr<std::vector<std::string>> users = List("users/");
  if (!users.ok() && users.error().status == 404) return std::vector<std::string>{};
  if (users.ok()) std::sort(users.value().begin(), users.value().end());
  return users;
}

AuthOr<std::vector<std::string>> AuthStore::AllRoles() {
  AuthOr<std::vector<std::string>> roles = List("roles/");
  if (!roles.ok() && roles.error().status == 404) {
    return std::vector<std::string>{std::string(kRootRoleName)};
  }
  if (!roles.ok()) return roles;
  roles.value().emplace_back(kRootRoleName);
  std::sort(roles.value().begin(), roles.value().end());
  return roles;
}

AuthOr<User> AuthStore::ReadUser(const std::string& name, bool quorum) {
  DoResult d = Request("users/" + name, quorum);
  if (d.code == kEcodeKeyNotFound) {
    return AuthErr(404, absl::StrCat("User ", name, " does not exist."));
  }
  if (!d.ok()) return *d.error;
  std::optional<User> u = ParseUser(d.value.value_or(""));
  if (!u.has_value()) return InternalError();
  if (u->user == kRootRoleName) return AttachRootRole(*std::move(u));
  return *std::move(u);
}

AuthOr<Role> AuthStore::ReadRole(const std::string& name, bool quorum) {
  if (name == kRootRoleName) return RootRole();
  DoResult d = Request("roles/" + name, quorum);
  if (d.code == kEcodeKeyNotFound) {
    return AuthErr(404, absl::StrCat("Role ", name, " does not exist."));
  }
  if (!d.ok()) return *d.error;
  std::optional<Role> r = ParseRole(d.value.value_or(""));
  if (!r.has_value()) return InternalError();
  return *std::move(r);
}

AuthOr<std::pair<User, bool>> AuthStore::CreateOrUpdateUser(User user) {
  if (ReadUser(user.user, true).ok()) {
    AuthOr<User> out = UpdateUser(user);
    if (!out.ok()) return out.error();
    return std::make_pair(std::move(out.value()), false);
  }
  AuthOr<User> out = CreateUser(std::move(user));
  if (!out.ok()) return out.error();
  return std::make_pair(std::move(out.value()), true);
}

AuthOr<User> AuthStore::CreateUser(User user) {
  if (user.user == kRootRoleName) user = AttachRootRole(std::move(user));
  if (user.password.empty()) {
    return AuthErr(400, absl::StrCat("Cannot create user ", user.user, " with an empty password"));
  }
  AuthOr<std::string> hash = Hash(user.password);
  if (!hash.ok()) return hash.error();
  user.password = hash.value();
  DoResult d = Set("users/" + user.user, UserJson(user), false);
  if (d.code == kEcodeNodeExist) {
    return AuthErr(409, absl::StrCat("User ", user.user, " already exists."));
  }
  if (!d.ok()) return *d.error;
  return user;
}

AuthStatus AuthStore::DeleteUser(const std::string& name) {
  if (AuthEnabled() && name == kRootRoleName) {
    return AuthErr(403, "Cannot delete root user while auth is enabled.");
  }
  DoResult d = Delete("users/" + name);
  if (d.code == kEcodeKeyNotFound) {
    return AuthErr(404, absl::StrCat("User ", name, " does not exist"));
  }
  return d.error;
}

AuthOr<User> AuthStore::UpdateUser(const User& user) {
  AuthOr<User> old = ReadUser(user.user, true);
  if (!old.ok()) return old.error();
  std::string hash;
  if (!user.password.empty()) {
    AuthOr<std::string> h = Hash(user.password);
    if (!h.ok()) return h.error();
    hash = h.value();
  }
  AuthOr<User> merged = MergeUser(old.value(), user, hash);
  if (!merged.ok()) return merged.error();
  if (merged.value() == old.value()) {
    return AuthErr(400, "User not updated. Use grant/revoke/password to update the user.");
  }
  DoResult d = Set("users/" + user.user, UserJson(merged.value()), true);
  if (!d.ok()) return *d.error;
  return merged;
}

AuthStatus AuthStore::CreateRole(const Role& role) {
  if (role.role == kRootRoleName) {
    return AuthErr(403, absl::StrCat("Cannot modify role ", role.role, ": is root role."));
  }
  DoResult d = Set("roles/" + role.role, RoleJson(role), false);
  if (d.code == kEcodeNodeExist) {
    return AuthErr(409, absl::StrCat("Role ", role.role, " already exists."));
  }
  return d.error;
}

AuthStatus AuthStore::DeleteRole(const std::string& name) {
  if (name == kRootRoleName) {
    return AuthErr(403, absl::StrCat("Cannot modify role ", name, ": is root role."));
  }
  DoResult d = Delete("roles/" + name);
  if (d.code == kEcodeKeyNotFound) {
    return AuthErr(404, absl::StrCat("Role ", name, " doesn't exist."));
  }
  return d.error;
}

AuthOr<Role> AuthStore::UpdateRole(const Role& role) {
  if (role.role == kRootRoleName) {
    return AuthErr(403, absl::StrCat("Cannot modify role ", role.role, ": is root role."));
  }
  AuthOr<Role> old = ReadRole(role.role, true);
  if (!old.ok()) return old.error();
  AuthOr<Role> merged = MergeRole(old.value(), role);
  if (!merged.ok()) return merged.error();
  if (merged.value() == old.value()) {
    return AuthErr(400, "Role not updated. Use grant/revoke to update the role.");
  }
  DoResult d = Set("roles/" + role.role, RoleJson(merged.value()), true);
  if (!d.ok()) return *d.error;
  return merged;
}

bool AuthStore::AuthEnabled() {
  DoResult d = Request("enabled", false);
  return d.ok() && ParseEnabled(d.value.value_or(""));
}

AuthStatus AuthStore::EnableAuth() {
  if (AuthEnabled()) return AuthErr(409, "already enabled");
  if (!ReadUser(std::string(kRootRoleName), true).ok()) {
    return AuthErr(409, "No root user available, please create one");
  }
  if (!ReadRole(std::string(kGuestRoleName), true).ok()) {
    if (AuthStatus st = CreateRole(DefaultGuestRole()); st.has_value()) return st;
  }
  return Set("enabled", "true", true).error;
}

AuthStatus AuthStore::DisableAuth() {
  if (!AuthEnabled()) return AuthErr(409, "already disabled");
  return Set("enabled", "false", true).error;
}

}  // namespace etcdpp::server::v2http
