#pragma once
// The values of etcd 3.4's v2 auth (etcdserver/api/v2auth/auth.go): users, roles and their
// key permissions, their JSON as etcd writes and reads it (stored under /2/users/<name> and
// /2/roles/<name>, and in the /v2/auth answers), the grant/revoke merges and the key-prefix
// permission checks. Pure: no store, no threads.
//
// A nil Go slice and an empty one differ on the wire ("null" and "[]") and for etcd's
// reflect.DeepEqual "nothing changed" test, so the lists are optional: nullopt is nil.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace etcdpp::server::v2http {

inline constexpr std::string_view kRootRoleName = "root";
inline constexpr std::string_view kGuestRoleName = "guest";

using NilableList = std::optional<std::vector<std::string>>;

// An HTTP error as the handler writes it: the status and the whole JSON body.
struct HttpError {
  int status = 0;
  std::string body;
  std::optional<uint64_t> etcd_index;  // a v2 error's X-Etcd-Index
};
// httptypes.HTTPError: {"message":MSG} (no newline).
HttpError HttpErr(int status, std::string_view message);
// v2auth's authErr: the message with "auth: " in front.
inline HttpError AuthErr(int status, std::string_view message) {
  return HttpErr(status, std::string("auth: ") + std::string(message));
}
// nullopt: success.
using AuthStatus = std::optional<HttpError>;

// A value or the error to answer.
template <typename T>
class [[nodiscard]] AuthOr {
 public:
  AuthOr(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  AuthOr(HttpError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  const HttpError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, HttpError> v_;
};

struct RWPermission {
  NilableList read;
  NilableList write;

  // Some pattern of the read (write) list matches `key`: "p*" matches keys starting with p,
  // any other pattern only the key itself.
  bool HasAccess(std::string_view key, bool write_access) const;
  // Some pattern ending in '*' has a prefix of `key` (a recursive request needs the subtree).
  bool HasRecursiveAccess(std::string_view key, bool write_access) const;
  bool operator==(const RWPermission&) const = default;
};

struct Permissions {
  RWPermission kv;
  bool IsEmpty() const;  // no read and no write pattern
  bool operator==(const Permissions&) const = default;
};

struct Role {
  std::string role;
  Permissions permissions;
  std::optional<Permissions> grant;  // a request's changes (omitted from JSON when absent)
  std::optional<Permissions> revoke;

  bool HasKeyAccess(std::string_view key, bool write_access) const;
  bool HasRecursiveAccess(std::string_view key, bool write_access) const;
  bool operator==(const Role&) const = default;
};

struct User {
  std::string user;
  std::string password;  // a bcrypt hash once stored; omitted from JSON when empty
  NilableList roles;
  std::vector<std::string> grant;  // a request's changes (omitted from JSON when empty)
  std::vector<std::string> revoke;
  bool operator==(const User&) const = default;
};

// The fixed root role and the guest role etcd creates when auth is first enabled: read and
// write access to "/*".
Role RootRole();
Role DefaultGuestRole();

// Go's json.Marshal of the values (field order and omissions as etcd's struct tags).
std::string RoleJson(const Role& r);
std::string UserJson(const User& u);
void AppendStringList(const NilableList& l, std::string* out);

// json.Unmarshal into the values; nullopt when the text is not JSON of that shape.
std::optional<Role> ParseRole(std::string_view json);
std::optional<User> ParseUser(std::string_view json);

// etcd's merges: the stored value with a request's grants and revokes applied (lists sorted).
// A duplicate grant, or a revoke of a role the user does not have, is an error (409); a revoke
// of a permission the role does not have is skipped.
AuthOr<User> MergeUser(const User& old, const User& change, const std::string& new_hash);
AuthOr<Role> MergeRole(const Role& old, const Role& change);

// attachRootRole: the root user always holds the root role.
User AttachRootRole(User u);

}  // namespace etcdpp::server::v2http
