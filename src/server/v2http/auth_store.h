#pragma once
// AuthStore: etcd 3.4's v2auth store (etcdserver/api/v2auth): users, roles and the enabled flag
// kept in the v2 store under /2 (/2/users/<name>, /2/roles/<name>, /2/enabled), each change a
// v2 write through Raft, so they replicate, persist and travel in snapshots as /v2/keys do.
// It makes the same requests in the same order as etcd (the auth directories and /2/enabled are
// created on the first change a member makes; quorum reads where etcd makes them), so the store
// index moves as etcd's.
//
// Every method may block: on a proposal (through the Doer) and on bcrypt. Callers run them on a
// worker thread, never on a connection's loop thread. Thread safety: any thread.

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "internalpb/internal.pb.h"
#include "server/v2http/auth_types.h"

namespace etcdpp::server::v2http {

// What one v2 request gave: the node's value and its listed children, or the error.
struct DoResult {
  int code = 0;  // the v2 error code; 0 for success and for a failure that is not a v2 error
  std::optional<HttpError> error;  // what to answer when the request failed
  std::optional<std::string> value;
  std::vector<std::string> children;  // keys of the children of a directory read
  bool ok() const { return !error.has_value(); }
};
// Runs a v2 request: GET reads the local store, the other methods are proposed and waited for
// (QGET then reads what it applied).
using Doer = std::function<DoResult(internalpb::V2Request)>;

// etcd's StorePermsPrefix.
inline constexpr std::string_view kV2AuthPrefix = "/2";

class AuthStore {
 public:
  AuthStore(Doer doer, int bcrypt_cost) : do_(std::move(doer)), bcrypt_cost_(bcrypt_cost) {}

  AuthOr<std::vector<std::string>> AllUsers();
  AuthOr<User> GetUser(const std::string& name) { return ReadUser(name, false); }
  // The user and whether it was created (etcd's CreateOrUpdateUser).
  AuthOr<std::pair<User, bool>> CreateOrUpdateUser(User user);
  AuthOr<User> CreateUser(User user);
  AuthStatus DeleteUser(const std::string& name);
  AuthOr<User> UpdateUser(const User& user);
  AuthOr<std::vector<std::string>> AllRoles();
  AuthOr<Role> GetRole(const std::string& name) { return ReadRole(name, false); }
  AuthStatus CreateRole(const Role& role);
  AuthStatus DeleteRole(const std::string& name);
  AuthOr<Role> UpdateRole(const Role& role);
  bool AuthEnabled();
  AuthStatus EnableAuth();
  AuthStatus DisableAuth();
  // bcrypt: `password` matches the user's stored hash.
  static bool CheckPassword(const User& user, const std::string& password);

 private:
  AuthOr<User> ReadUser(const std::string& name, bool quorum);
  AuthOr<Role> ReadRole(const std::string& name, bool quorum);
  AuthOr<std::vector<std::string>> List(const std::string& res);
  AuthOr<std::string> Hash(const std::string& password) const;
  AuthStatus EnsureAuthDirectories();
  DoResult Request(const std::string& res, bool quorum);
  DoResult Set(const std::string& res, std::string value, bool prev_exist);
  DoResult Delete(const std::string& res);

  const Doer do_;
  const int bcrypt_cost_;
  // etcd's ensuredOnce: this member made the directories exist once.
  std::atomic<bool> ensured_once_{false};
};

}  // namespace etcdpp::server::v2http
