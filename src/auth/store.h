#pragma once
// The auth store (etcd's auth.AuthStore): users, roles, their key permissions, the enabled
// flag and the auth revision, kept in the backend's auth, authUsers and authRoles buckets with
// etcd's encodings (authpb.User / authpb.Role values keyed by name; "authEnabled" = {1}/{0} and
// "authRevision" = 8-byte big-endian in `auth`), so a bbolt export carries them unchanged.
//
// Threads: changes come only from applied raft entries (the applier thread), staged in the
// entry's backend batch so they commit with its consistent index. Every change publishes a new
// immutable AuthState (users, roles, and each user's merged permissions); checks on any thread
// read the current one through an atomic pointer, never a lock shared with the writer.
//
// The rules are etcd's: enabling needs a root user holding the root role; while auth is on,
// the root user cannot be deleted, root's root role cannot be revoked and the root role cannot
// be deleted; the root role may do everything. The revision counts changes as etcd 3.4 does
// (every successful change but AuthEnable and a grant of a role already held).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/range_perms.h"
#include "auth/simple_tokens.h"
#include "authpb/auth.pb.h"
#include "backend/backend.h"
#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::auth {

inline constexpr std::string_view kRootUser = "root";
inline constexpr std::string_view kRootRole = "root";

// Who a request runs as: the token's (or client certificate's) user and the auth revision the
// token was checked at. An empty username means an anonymous request.
struct AuthInfo {
  std::string username;
  uint64_t revision = 0;
};

struct UserPerms {
  bool root = false;
  RangePerms perms;
};

// One published state of the store. Immutable.
struct AuthState {
  bool enabled = false;
  uint64_t revision = 0;
  std::map<std::string, authpb::User> users;  // by name, in key order (etcd's list order)
  std::map<std::string, authpb::Role> roles;
  absl::flat_hash_map<std::string, UserPerms> perms;  // by user name

  const authpb::User* user(std::string_view name) const;
  const authpb::Role* role(std::string_view name) const;
};

class AuthStore {
 public:
  // Loads the store from `be` (not owned; must outlive the store). `token_ttl`: simple tokens.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AuthStore>> Open(backend::Backend* be,
                                                                       absl::Duration token_ttl);

  // Reloads everything from the backend (its database was replaced by a raft snapshot). Simple
  // tokens stay only if auth is still enabled. Writer thread.
  [[nodiscard]] absl::Status Reload();

  std::shared_ptr<const AuthState> state() const { return state_.load(std::memory_order_acquire); }
  // Read without taking the state (the checks' fast path while auth is off).
  bool enabled() const { return enabled_.load(std::memory_order_acquire); }
  uint64_t revision() const { return state()->revision; }
  SimpleTokens& simple_tokens() { return tokens_; }

  // ---- Checks: any thread. OK when auth is off.
  // etcd's isOpPermitted: revision 0 -> user name is empty; older than the store's -> revision
  // of auth store is old; unknown user -> permission denied; root role -> allowed.
  [[nodiscard]] absl::Status CheckRead(const AuthInfo& ai, std::string_view key,
                                       std::string_view range_end) const;
  [[nodiscard]] absl::Status CheckWrite(const AuthInfo& ai, std::string_view key,
                                        std::string_view range_end) const;
  // etcd's IsAdminPermitted: the user must hold the root role.
  [[nodiscard]] absl::Status CheckAdmin(const AuthInfo& ai) const;
  // Every compare and operation of a txn, nested txns included (etcd's checkTxnAuth).
  [[nodiscard]] absl::Status CheckTxn(const AuthInfo& ai, const etcdserverpb::TxnRequest& t) const;
  bool HasRole(std::string_view user, std::string_view role) const;

  // The auth revision at which `password` matched `name`'s bcrypt hash (slow: a worker pool).
  // auth not enabled / authentication failed.
  [[nodiscard]] absl::StatusOr<uint64_t> CheckPassword(std::string_view name,
                                                       std::string_view password) const;

  // ---- Changes: the applier thread, staged in `tx` (the applied entry's batch).
  [[nodiscard]] absl::Status Enable(backend::BatchTx* tx);
  [[nodiscard]] absl::Status Disable(backend::BatchTx* tx);
  [[nodiscard]] absl::Status UserAdd(std::string_view name, std::string hashed_password,
                                     const authpb::UserAddOptions& options, backend::BatchTx* tx);
  [[nodiscard]] absl::Status UserDelete(std::string_view name, backend::BatchTx* tx);
  [[nodiscard]] absl::Status UserChangePassword(std::string_view name, std::string hashed_password,
                                                backend::BatchTx* tx);
  [[nodiscard]] absl::Status UserGrantRole(std::string_view user, std::string_view role,
                                           backend::BatchTx* tx);
  [[nodiscard]] absl::Status UserRevokeRole(std::string_view user, std::string_view role,
                                            backend::BatchTx* tx);
  [[nodiscard]] absl::Status RoleAdd(std::string_view name, backend::BatchTx* tx);
  [[nodiscard]] absl::Status RoleDelete(std::string_view name, backend::BatchTx* tx);
  [[nodiscard]] absl::Status RoleGrantPermission(std::string_view role,
                                                 const authpb::Permission& perm,
                                                 backend::BatchTx* tx);
  [[nodiscard]] absl::Status RoleRevokePermission(std::string_view role, std::string_view key,
                                                  std::string_view range_end, backend::BatchTx* tx);

 private:
  AuthStore(backend::Backend* be, absl::Duration token_ttl) : be_(be), tokens_(token_ttl) {}
  [[nodiscard]] absl::StatusOr<std::shared_ptr<AuthState>> Load() const;
  [[nodiscard]] absl::Status CheckOp(const AuthInfo& ai, std::string_view key,
                                     std::string_view range_end, bool write) const;
  // A copy of the current state to change (writer thread).
  std::shared_ptr<AuthState> Draft() const { return std::make_shared<AuthState>(*state()); }
  // Stages the revision bump (if `bump`), rebuilds permissions and publishes `s`.
  void Commit(std::shared_ptr<AuthState> s, bool bump, backend::BatchTx* tx);
  static void PutUser(const authpb::User& u, backend::BatchTx* tx);
  static void PutRole(const authpb::Role& r, backend::BatchTx* tx);

  backend::Backend* const be_;
  SimpleTokens tokens_;
  // Publish() sets both: the state, then whether it is enabled.
  void Publish(std::shared_ptr<const AuthState> s);
  std::atomic<std::shared_ptr<const AuthState>> state_;
  std::atomic<bool> enabled_{false};
};

}  // namespace etcdpp::auth
