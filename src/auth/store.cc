#include "auth/store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "auth/bcrypt.h"
#include "auth/errors.h"

namespace etcdpp::auth {
namespace {

using backend::Bucket;
constexpr std::string_view kEnabledKey = "authEnabled";
constexpr std::string_view kRevisionKey = "authRevision";

std::string EncodeRevision(uint64_t rev) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, rev >>= 8) out[i] = static_cast<char>(rev & 0xff);
  return out;
}

bool HasRootRole(const authpb::User& u) {
  return std::find(u.roles().begin(), u.roles().end(), kRootRole) != u.roles().end();
}

// Rebuilds every user's merged permissions (etcd's refreshRangePermCache).
void RebuildPerms(AuthState* s) {
  s->perms.clear();
  for (const auto& [name, user] : s->users) {
    std::vector<const authpb::Role*> roles;
    for (const std::string& r : user.roles()) {
      if (const authpb::Role* role = s->role(r)) roles.push_back(role);
    }
    s->perms[name] = UserPerms{HasRootRole(user), RangePerms::FromRoles(roles)};
  }
}

}  // namespace

const authpb::User* AuthState::user(std::string_view name) const {
  auto it = users.find(std::string(name));
  return it == users.end() ? nullptr : &it->second;
}

const authpb::Role* AuthState::role(std::string_view name) const {
  auto it = roles.find(std::string(name));
  return it == roles.end() ? nullptr : &it->second;
}

absl::StatusOr<std::unique_ptr<AuthStore>> AuthStore::Open(backend::Backend* be,
                                                           absl::Duration token_ttl) {
  std::unique_ptr<AuthStore> s(new AuthStore(be, token_ttl));
  absl::StatusOr<std::shared_ptr<AuthState>> st = s->Load();
  if (!st.ok()) return st.status();
  if ((*st)->revision == 0) {
    // etcd's NewAuthStore commits revision 1 into a new store, so a token's revision is never 0
    // (0 means "no user") and revisions match etcd's for the same history.
    (*st)->revision = 1;
    backend::BatchTx tx(be);
    tx.Put(Bucket::kAuth, kRevisionKey, EncodeRevision(1));
  }
  s->Publish(std::move(*st));
  return s;
}

absl::Status AuthStore::Reload() {
  absl::StatusOr<std::shared_ptr<AuthState>> st = Load();
  if (!st.ok()) return st.status();
  if (!(*st)->enabled) tokens_.Clear();
  Publish(std::move(*st));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<AuthState>> AuthStore::Load() const {
  auto s = std::make_shared<AuthState>();
  absl::StatusOr<std::string> enabled = be_->Get(Bucket::kAuth, kEnabledKey);
  if (enabled.ok()) {
    s->enabled = *enabled == std::string_view("\1", 1);
  } else if (!absl::IsNotFound(enabled.status())) {
    return enabled.status();
  }
  absl::StatusOr<std::string> rev = be_->Get(Bucket::kAuth, kRevisionKey);
  if (rev.ok()) {
    if (rev->size() != 8) {
      return absl::DataLossError(absl::StrCat(be_->path(), ": bucket auth: authRevision of ",
                                              rev->size(), " bytes, want 8"));
    }
    for (char c : *rev) s->revision = (s->revision << 8) | static_cast<unsigned char>(c);
  } else if (!absl::IsNotFound(rev.status())) {
    return rev.status();
  }
  absl::Status bad;
  absl::Status st =
      be_->Range(Bucket::kAuthUsers, "", "", [&](std::string_view k, std::string_view v) {
        authpb::User u;
        if (!u.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = absl::DataLossError(absl::StrCat(
              be_->path(), ": bucket authUsers: undecodable user \"", std::string(k), "\""));
          return false;
        }
        s->users.emplace(std::string(k), std::move(u));
        return true;
      });
  if (!st.ok()) return st;
  if (!bad.ok()) return bad;
  st = be_->Range(Bucket::kAuthRoles, "", "", [&](std::string_view k, std::string_view v) {
    authpb::Role r;
    if (!r.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      bad = absl::DataLossError(absl::StrCat(be_->path(), ": bucket authRoles: undecodable role \"",
                                             std::string(k), "\""));
      return false;
    }
    s->roles.emplace(std::string(k), std::move(r));
    return true;
  });
  if (!st.ok()) return st;
  if (!bad.ok()) return bad;
  RebuildPerms(s.get());
  return s;
}

void AuthStore::Publish(std::shared_ptr<const AuthState> s) {
  const bool on = s->enabled;
  state_.store(std::move(s), std::memory_order_release);
  enabled_.store(on, std::memory_order_release);
}

// ---- Checks.

absl::Status AuthStore::CheckOp(const AuthInfo& ai, std::string_view key,
                                std::string_view range_end, bool write) const {
  if (!enabled()) return absl::OkStatus();  // every request while auth is off: no state taken
  std::shared_ptr<const AuthState> s = state();
  if (!s->enabled) return absl::OkStatus();
  if (ai.revision == 0) return ErrUserEmpty();
  if (ai.revision < s->revision) return ErrAuthOldRevision();
  auto it = s->perms.find(ai.username);
  if (it == s->perms.end()) return ErrPermissionDenied();
  if (it->second.root) return absl::OkStatus();
  bool ok =
      write ? it->second.perms.CanWrite(key, range_end) : it->second.perms.CanRead(key, range_end);
  return ok ? absl::OkStatus() : ErrPermissionDenied();
}

absl::Status AuthStore::CheckRead(const AuthInfo& ai, std::string_view key,
                                  std::string_view range_end) const {
  return CheckOp(ai, key, range_end, false);
}

absl::Status AuthStore::CheckWrite(const AuthInfo& ai, std::string_view key,
                                   std::string_view range_end) const {
  return CheckOp(ai, key, range_end, true);
}

absl::Status AuthStore::CheckAdmin(const AuthInfo& ai) const {
  if (!enabled()) return absl::OkStatus();
  std::shared_ptr<const AuthState> s = state();
  if (!s->enabled) return absl::OkStatus();
  if (ai.username.empty()) return ErrUserEmpty();
  const authpb::User* u = s->user(ai.username);
  if (u == nullptr) return ErrUserNotFound();
  return HasRootRole(*u) ? absl::OkStatus() : ErrPermissionDenied();
}

absl::Status AuthStore::CheckTxn(const AuthInfo& ai, const etcdserverpb::TxnRequest& t) const {
  if (!enabled()) return absl::OkStatus();
  for (const etcdserverpb::Compare& c : t.compare()) {
    if (absl::Status st = CheckRead(ai, c.key(), c.range_end()); !st.ok()) return st;
  }
  for (const auto* ops : {&t.success(), &t.failure()}) {
    for (const etcdserverpb::RequestOp& op : *ops) {
      absl::Status st;
      switch (op.request_case()) {
        case etcdserverpb::RequestOp::kRequestRange:
          st = CheckRead(ai, op.request_range().key(), op.request_range().range_end());
          break;
        case etcdserverpb::RequestOp::kRequestPut:
          st = CheckWrite(ai, op.request_put().key(), "");
          if (st.ok() && op.request_put().prev_kv()) st = CheckRead(ai, op.request_put().key(), "");
          break;
        case etcdserverpb::RequestOp::kRequestDeleteRange: {
          const auto& d = op.request_delete_range();
          if (d.prev_kv()) st = CheckRead(ai, d.key(), d.range_end());
          if (st.ok()) st = CheckWrite(ai, d.key(), d.range_end());
          break;
        }
        case etcdserverpb::RequestOp::kRequestTxn:
          st = CheckTxn(ai, op.request_txn());
          break;
        default:
          break;
      }
      if (!st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

bool AuthStore::HasRole(std::string_view user, std::string_view role) const {
  std::shared_ptr<const AuthState> s = state();
  const authpb::User* u = s->user(user);
  return u != nullptr && std::find(u->roles().begin(), u->roles().end(), role) != u->roles().end();
}

absl::StatusOr<uint64_t> AuthStore::CheckPassword(std::string_view name,
                                                  std::string_view password) const {
  std::shared_ptr<const AuthState> s = state();
  if (!s->enabled) return ErrAuthNotEnabled();
  const authpb::User* u = s->user(name);
  if (u == nullptr) return ErrAuthFailed();
  if (u->options().no_password()) return ErrAuthFailed();
  if (!BcryptVerify(password, u->password())) return ErrAuthFailed();
  return s->revision;
}

// ---- Changes.

void AuthStore::PutUser(const authpb::User& u, backend::BatchTx* tx) {
  tx->Put(Bucket::kAuthUsers, u.name(), u.SerializeAsString());
}

void AuthStore::PutRole(const authpb::Role& r, backend::BatchTx* tx) {
  tx->Put(Bucket::kAuthRoles, r.name(), r.SerializeAsString());
}

void AuthStore::Commit(std::shared_ptr<AuthState> s, bool bump, backend::BatchTx* tx) {
  if (bump) {
    ++s->revision;
    tx->Put(Bucket::kAuth, kRevisionKey, EncodeRevision(s->revision));
  }
  RebuildPerms(s.get());
  Publish(std::move(s));
}

absl::Status AuthStore::Enable(backend::BatchTx* tx) {
  if (enabled()) return absl::OkStatus();
  std::shared_ptr<AuthState> s = Draft();
  const authpb::User* root = s->user(kRootUser);
  if (root == nullptr) return ErrRootUserNotExist();
  if (!HasRootRole(*root)) return ErrRootRoleNotExist();
  s->enabled = true;
  tx->Put(Bucket::kAuth, kEnabledKey, std::string("\1", 1));
  Commit(std::move(s), /*bump=*/false, tx);
  return absl::OkStatus();
}

absl::Status AuthStore::Disable(backend::BatchTx* tx) {
  if (!enabled()) return absl::OkStatus();
  std::shared_ptr<AuthState> s = Draft();
  s->enabled = false;
  tx->Put(Bucket::kAuth, kEnabledKey, std::string("\0", 1));
  Commit(std::move(s), /*bump=*/true, tx);
  tokens_.Clear();
  return absl::OkStatus();
}

absl::Status AuthStore::UserAdd(std::string_view name, std::string hashed_password,
                                const authpb::UserAddOptions& options, backend::BatchTx* tx) {
  if (name.empty()) return ErrUserEmpty();
  std::shared_ptr<AuthState> s = Draft();
  if (s->user(name) != nullptr) return ErrUserAlreadyExist();
  authpb::User u;
  u.set_name(std::string(name));
  u.set_password(std::move(hashed_password));
  *u.mutable_options() = options;
  PutUser(u, tx);
  s->users.emplace(std::string(name), std::move(u));
  Commit(std::move(s), true, tx);
  return absl::OkStatus();
}

absl::Status AuthStore::UserDelete(std::string_view name, backend::BatchTx* tx) {
  std::shared_ptr<AuthState> s = Draft();
  if (s->enabled && name == kRootUser) return ErrInvalidAuthMgmt();
  if (s->users.erase(std::string(name)) == 0) return ErrUserNotFound();
  tx->Delete(Bucket::kAuthUsers, name);
  Commit(std::move(s), true, tx);
  tokens_.InvalidateUser(name);
  return absl::OkStatus();
}

absl::Status AuthStore::UserChangePassword(std::string_view name, std::string hashed_password,
                                           backend::BatchTx* tx) {
  std::shared_ptr<AuthState> s = Draft();
  auto it = s->users.find(std::string(name));
  if (it == s->users.end()) return ErrUserNotFound();
  it->second.set_password(std::move(hashed_password));
  PutUser(it->second, tx);
  Commit(std::move(s), true, tx);
  tokens_.InvalidateUser(name);
  return absl::OkStatus();
}

absl::Status AuthStore::UserGrantRole(std::string_view user, std::string_view role,
                                      backend::BatchTx* tx) {
  std::shared_ptr<AuthState> s = Draft();
  auto it = s->users.find(std::string(user));
  if (it == s->users.end()) return ErrUserNotFound();
  if (role != kRootRole && s->role(role) == nullptr) return ErrRoleNotFound();
  auto* roles = it->second.mutable_roles();
  auto pos = std::lower_bound(roles->begin(), roles->end(), role,
                              [](const std::string& a, std::string_view b) { return a < b; });
  if (pos != roles->end() && *pos == role) return absl::OkStatus();  // already granted
  roles->Add(std::string(role));
  std::sort(roles->begin(), roles->end());
  PutUser(it->second, tx);
  Commit(std::move(s), true, tx);
  return absl::OkStatus();
}

absl::Status AuthStore::UserRevokeRole(std::string_view user, std::string_view role,
                                       backend::BatchTx* tx) {
  std::shared_ptr<AuthState> s = Draft();
  if (s->enabled && user == kRootUser && role == kRootRole) return ErrInvalidAuthMgmt();
  auto it = s->users.find(std::string(user));
  if (it == s->users.end()) return ErrUserNotFound();
  auto* roles = it->second.mutable_roles();
  auto pos = std::find(roles->begin(), roles->end(), role);
  if (pos == roles->end()) return ErrRoleNotGranted();
  roles->erase(pos);
  PutUser(it->second, tx);
  Commit(std::move(s), true, tx);
  return absl::OkStatus();
}

absl::Status AuthStore::RoleAdd(std::string_view name, backend::BatchTx* tx) {
  if (name.empty()) return ErrRoleEmpty();
  std::shared_ptr<AuthState> s = Draft();
  if (s->role(name) != nullptr) return ErrRoleAlreadyExist();
  authpb::Role r;
  r.set_name(std::string(name));
  PutRole(r, tx);
  s->roles.emplace(std::string(name), std::move(r));
  Commit(std::move(s), true, tx);
  return absl::OkStatus();
}

absl::Status AuthStore::RoleDelete(std::string_view name, backend::BatchTx* tx) {
  std::shared_ptr<AuthState> s = Draft();
  if (s->enabled && name == kRootRole) return ErrInvalidAuthMgmt();
  if (s->roles.erase(std::string(name)) == 0) return ErrRoleNotFound();
  tx->Delete(Bucket::kAuthRoles, name);
  for (auto& [uname, user] : s->users) {
    auto* roles = user.mutable_roles();
    auto pos = std::find(roles->begin(), roles->end(), name);
    if (pos == roles->end()) continue;
    roles->erase(pos);
    PutUser(user, tx);
  }
  Commit(std::move(s), true, tx);
  return absl::OkStatus();
}

absl::Status AuthStore::RoleGrantPermission(std::string_view role, const authpb::Permission& perm,
                                            backend::BatchTx* tx) {
  std::shared_ptr<AuthState> s = Draft();
  auto it = s->roles.find(std::string(role));
  if (it == s->roles.end()) return ErrRoleNotFound();
  auto* perms = it->second.mutable_keypermission();
  bool updated = false;
  for (authpb::Permission& p : *perms) {
    if (p.key() == perm.key() && p.range_end() == perm.range_end()) {
      p.set_permtype(perm.permtype());
      updated = true;
      break;
    }
  }
  if (!updated) {
    *perms->Add() = perm;
    std::stable_sort(
        perms->begin(), perms->end(),
        [](const authpb::Permission& a, const authpb::Permission& b) { return a.key() < b.key(); });
  }
  PutRole(it->second, tx);
  Commit(std::move(s), true, tx);
  return absl::OkStatus();
}

absl::Status AuthStore::RoleRevokePermission(std::string_view role, std::string_view key,
                                             std::string_view range_end, backend::BatchTx* tx) {
  std::shared_ptr<AuthState> s = Draft();
  auto it = s->roles.find(std::string(role));
  if (it == s->roles.end()) return ErrRoleNotFound();
  auto* perms = it->second.mutable_keypermission();
  auto pos = std::find_if(perms->begin(), perms->end(), [&](const authpb::Permission& p) {
    return p.key() == key && p.range_end() == range_end;
  });
  if (pos == perms->end()) return ErrPermissionNotGranted();
  perms->erase(pos);
  PutRole(it->second, tx);
  Commit(std::move(s), true, tx);
  return absl::OkStatus();
}

}  // namespace etcdpp::auth
