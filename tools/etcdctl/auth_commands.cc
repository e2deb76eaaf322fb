// auth enable / disable, user ... and role ... (ctlv3/command/{auth,user,role}_command.go).

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common/go_text.h"
#include "kv_ops.h"
#include "output.h"
#include "password_prompt.h"

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::Auth;

// Runs one Auth RPC and prints its response: simple text from `simple`, the header in
// "fields" (when `fields` is set), json/protobuf as the message; else unsupported.
template <typename Req, typename Resp, typename Rpc, typename Simple>
int AuthCall(Invocation& inv, const Req& req, Rpc rpc, Simple simple, bool fields = true) {
  Output out;
  int code = 0;
  Resp r;
  if (!CallOnce(inv, &out, &Client::auth, rpc, req, &r, &code, {.timeout = false})) return code;
  if (out.format == Format::kSimple) {
    simple(r);
  } else if (out.format == Format::kFields && fields) {
    FieldsHeader(r.header());
  } else if (!PrintRpc(out, r)) {
    return Unsupported(out);
  }
  return kExitSuccess;
}

int RunAuthEnable(Invocation& inv) {
  if (!inv.args.empty())
    return Fail(kExitBadArgs, "auth enable command does not accept any arguments");
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  grpc::Status st;
  for (int tries = 0; tries < 3; ++tries) {
    etcdserverpb::AuthEnableResponse r;
    st = c->Unary([&](grpc::ClientContext* ctx) {
      return c->auth().AuthEnable(ctx, etcdserverpb::AuthEnableRequest(), &r);
    });
    if (st.ok() || st.error_message() != "etcdserver: root user does not have root role") break;
    etcdserverpb::AuthRoleAddRequest add;
    add.set_name("root");
    etcdserverpb::AuthRoleAddResponse ar;
    st = c->Unary([&](grpc::ClientContext* ctx) { return c->auth().RoleAdd(ctx, add, &ar); });
    if (!st.ok()) break;
    etcdserverpb::AuthUserGrantRoleRequest grant;
    grant.set_user("root");
    grant.set_role("root");
    etcdserverpb::AuthUserGrantRoleResponse gr;
    st = c->Unary(
        [&](grpc::ClientContext* ctx) { return c->auth().UserGrantRole(ctx, grant, &gr); });
    if (!st.ok()) break;
  }
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  std::cout << "Authentication Enabled\n";
  return kExitSuccess;
}

int RunAuthDisable(Invocation& inv) {
  if (!inv.args.empty())
    return Fail(kExitBadArgs, "auth disable command does not accept any arguments");
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  etcdserverpb::AuthDisableResponse r;
  grpc::Status st = c->Unary([&](grpc::ClientContext* ctx) {
    return c->auth().AuthDisable(ctx, etcdserverpb::AuthDisableRequest(), &r);
  });
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  std::cout << "Authentication Disabled\n";
  return kExitSuccess;
}

// etcd 3.6's `auth status`: the simple printer's two lines, the RPC response as json or
// protobuf; fields and table have no printer for it.
int RunAuthStatus(Invocation& inv) {
  if (!inv.args.empty())
    return Fail(kExitBadArgs, "auth status command does not accept any arguments");
  Output out;
  int code = 0;
  etcdserverpb::AuthStatusResponse r;
  if (!CallOnce(inv, &out, &Client::auth, &etcdserverpb::Auth::Stub::AuthStatus,
                etcdserverpb::AuthStatusRequest(), &r, &code)) {
    return code;
  }
  if (out.format == Format::kSimple) {
    std::cout << "Authentication Status: " << (r.enabled() ? "true" : "false")
              << "\nAuthRevision: " << r.authrevision() << "\n";
    return kExitSuccess;
  }
  return PrintRpc(out, r) ? kExitSuccess : Unsupported(out);
}

// readPasswordInteractive: asked twice on the terminal; "" and a failure code on error.
bool AskPassword(const std::string& name, std::string* password, int* code) {
  std::string p1 = PromptPassword(absl::StrCat("Password of ", name, ": "));
  if (p1.empty()) {
    *code = Fail(kExitBadArgs, "empty password");
    return false;
  }
  std::string p2 =
      PromptPassword(absl::StrCat("Type password of ", name, " again for confirmation: "));
  if (p1 != p2) {
    *code = Fail(kExitBadArgs, "given passwords are different");
    return false;
  }
  *password = p1;
  return true;
}

// fmt.Scanf("%s"): a word of stdin after spaces; an empty line (or the end) gives "" (Go's
// "unexpected newline", which etcdctl ignores), never a wait for the next line.
std::string ScanWord() {
  std::string w;
  int c = std::cin.get();
  while (c == ' ' || c == '\t' || c == '\r') c = std::cin.get();
  while (c != EOF && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
    w += static_cast<char>(c);
    c = std::cin.get();
  }
  return w;
}

int RunUserAdd(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "user add command requires user name as its argument");
  etcdserverpb::AuthUserAddRequest req;
  std::string user = inv.args[0], password;
  if (inv.flags->GetBool("no-password")) {
    req.mutable_options()->set_no_password(true);
  } else if (!inv.flags->GetString("new-user-password").empty()) {
    password = inv.flags->GetString("new-user-password");
  } else if (auto colon = user.find(':'); colon != std::string::npos) {
    password = user.substr(colon + 1);
    user = user.substr(0, colon);
    if (user.empty()) return Fail(kExitBadArgs, "empty user name is not allowed");
  } else if (!inv.flags->GetBool("interactive")) {
    password = ScanWord();
  } else {
    int code = 0;
    if (!AskPassword(user, &password, &code)) return code;
  }
  req.set_name(user);
  req.set_password(password);
  if (!req.has_options()) req.mutable_options();
  return AuthCall<etcdserverpb::AuthUserAddRequest, etcdserverpb::AuthUserAddResponse>(
      inv, req, &etcdserverpb::Auth::Stub::UserAdd,
      [&](const auto&) { std::cout << "User " << user << " created\n"; });
}

int RunUserDelete(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "user delete command requires user name as its argument");
  etcdserverpb::AuthUserDeleteRequest req;
  req.set_name(inv.args[0]);
  return AuthCall<etcdserverpb::AuthUserDeleteRequest, etcdserverpb::AuthUserDeleteResponse>(
      inv, req, &etcdserverpb::Auth::Stub::UserDelete,
      [&](const auto&) { std::cout << "User " << inv.args[0] << " deleted\n"; });
}

// RoleGet's simple form: the read and the write permissions, ranges as [key, end).
void PrintRolePerms(const std::string& role, const etcdserverpb::AuthRoleGetResponse& r) {
  std::cout << "Role " << role << "\nKV Read:\n";
  auto print = [](const authpb::Permission& p) {
    if (p.range_end().empty()) {
      std::cout << "\t" << p.key() << "\n";
      return;
    }
    if (p.range_end() != std::string(1, '\0')) {
      std::cout << "\t[" << p.key() << ", " << p.range_end() << ")";
    } else {
      std::cout << "\t[" << p.key() << ", <open ended>";
    }
    if (PrefixRangeEnd(p.key()) == p.range_end()) std::cout << " (prefix " << p.key() << ")";
    std::cout << "\n";
  };
  for (const auto& p : r.perm()) {
    if (p.permtype() == authpb::Permission::READ || p.permtype() == authpb::Permission::READWRITE)
      print(p);
  }
  std::cout << "KV Write:\n";
  for (const auto& p : r.perm()) {
    if (p.permtype() == authpb::Permission::WRITE || p.permtype() == authpb::Permission::READWRITE)
      print(p);
  }
}

int PrintRoleGet(const Output& out, const std::string& role, etcdserverpb::AuthRoleGetResponse& r) {
  if (out.format == Format::kSimple) {
    PrintRolePerms(role, r);
  } else if (out.format == Format::kFields) {
    FieldsHeader(r.header());
    for (const auto& p : r.perm()) {
      std::cout << "\"PermType\" :  " << authpb::Permission::Type_Name(p.permtype())
                << "\n\"Key\" : " << GoQuote(p.key())
                << "\n\"RangeEnd\" : " << GoQuote(p.range_end()) << "\n";
    }
  } else if (!PrintRpc(out, r)) {
    return Unsupported(out);
  }
  return kExitSuccess;
}

int RunUserGet(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "user get command requires user name as its argument");
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  etcdserverpb::AuthUserGetRequest req;
  req.set_name(inv.args[0]);
  etcdserverpb::AuthUserGetResponse r;
  auto ctx = c->NewContext(absl::ZeroDuration());
  grpc::Status st = c->Logged(c->auth().UserGet(ctx.get(), req, &r));
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  if (inv.flags->GetBool("detail")) {
    std::cout << "User: " << inv.args[0] << "\n";
    for (const auto& role : r.roles()) {
      std::cout << "\n";
      etcdserverpb::AuthRoleGetRequest rreq;
      rreq.set_role(role);
      etcdserverpb::AuthRoleGetResponse rr;
      auto rctx = c->NewContext(absl::ZeroDuration());
      st = c->Logged(c->auth().RoleGet(rctx.get(), rreq, &rr));
      if (!st.ok()) return Fail(kExitError, ErrorText(st));
      if (int rc = PrintRoleGet(out, role, rr); rc != kExitSuccess) return rc;
    }
    return kExitSuccess;
  }
  if (out.format == Format::kSimple) {
    std::cout << "User: " << inv.args[0] << "\nRoles:";
    for (const auto& role : r.roles()) std::cout << " " << role;
    std::cout << "\n";
  } else if (out.format == Format::kFields || !PrintRpc(out, r)) {
    return Unsupported(out);
  }
  return kExitSuccess;
}

int RunUserList(Invocation& inv) {
  if (!inv.args.empty()) return Fail(kExitBadArgs, "user list command requires no arguments");
  return AuthCall<etcdserverpb::AuthUserListRequest, etcdserverpb::AuthUserListResponse>(
      inv, etcdserverpb::AuthUserListRequest(), &etcdserverpb::Auth::Stub::UserList,
      [](const auto& r) {
        for (const auto& u : r.users()) std::cout << u << "\n";
      },
      false);
}

int RunUserPasswd(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "user passwd command requires user name as its argument");
  std::string password;
  if (!inv.flags->GetBool("interactive")) {
    password = ScanWord();
  } else {
    int code = 0;
    if (!AskPassword(inv.args[0], &password, &code)) return code;
  }
  etcdserverpb::AuthUserChangePasswordRequest req;
  req.set_name(inv.args[0]);
  req.set_password(password);
  return AuthCall<etcdserverpb::AuthUserChangePasswordRequest,
                  etcdserverpb::AuthUserChangePasswordResponse>(
      inv, req, &etcdserverpb::Auth::Stub::UserChangePassword,
      [](const auto&) { std::cout << "Password updated\n"; });
}

int RunUserRole(Invocation& inv, bool grant) {
  if (inv.args.size() != 2) {
    return Fail(kExitBadArgs,
                grant ? "user grant command requires user name and role name as its argument"
                      : "user revoke-role requires user name and role name as its argument");
  }
  const std::string &user = inv.args[0], &role = inv.args[1];
  if (grant) {
    etcdserverpb::AuthUserGrantRoleRequest req;
    req.set_user(user);
    req.set_role(role);
    return AuthCall<etcdserverpb::AuthUserGrantRoleRequest,
                    etcdserverpb::AuthUserGrantRoleResponse>(
        inv, req, &etcdserverpb::Auth::Stub::UserGrantRole, [&](const auto&) {
          std::cout << "Role " << role << " is granted to user " << user << "\n";
        });
  }
  etcdserverpb::AuthUserRevokeRoleRequest req;
  req.set_name(user);
  req.set_role(role);
  return AuthCall<etcdserverpb::AuthUserRevokeRoleRequest,
                  etcdserverpb::AuthUserRevokeRoleResponse>(
      inv, req, &etcdserverpb::Auth::Stub::UserRevokeRole, [&](const auto&) {
        std::cout << "Role " << role << " is revoked from user " << user << "\n";
      });
}

int RunRoleAdd(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "role add command requires role name as its argument");
  etcdserverpb::AuthRoleAddRequest req;
  req.set_name(inv.args[0]);
  return AuthCall<etcdserverpb::AuthRoleAddRequest, etcdserverpb::AuthRoleAddResponse>(
      inv, req, &etcdserverpb::Auth::Stub::RoleAdd,
      [&](const auto&) { std::cout << "Role " << inv.args[0] << " created\n"; });
}

int RunRoleDelete(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "role delete command requires role name as its argument");
  etcdserverpb::AuthRoleDeleteRequest req;
  req.set_role(inv.args[0]);
  return AuthCall<etcdserverpb::AuthRoleDeleteRequest, etcdserverpb::AuthRoleDeleteResponse>(
      inv, req, &etcdserverpb::Auth::Stub::RoleDelete,
      [&](const auto&) { std::cout << "Role " << inv.args[0] << " deleted\n"; });
}

int RunRoleGet(Invocation& inv) {
  if (inv.args.size() != 1)
    return Fail(kExitBadArgs, "role get command requires role name as its argument");
  etcdserverpb::AuthRoleGetRequest req;
  req.set_role(inv.args[0]);
  Output out;
  int code = 0;
  etcdserverpb::AuthRoleGetResponse r;
  if (!CallOnce(inv, &out, &Client::auth, &Auth::Stub::RoleGet, req, &r, &code,
                {.timeout = false})) {
    return code;
  }
  return PrintRoleGet(out, inv.args[0], r);
}

int RunRoleList(Invocation& inv) {
  if (!inv.args.empty()) return Fail(kExitBadArgs, "role list command requires no arguments");
  Output out;
  int code = 0;
  etcdserverpb::AuthRoleListResponse r;
  if (!CallOnce(inv, &out, &Client::auth, &Auth::Stub::RoleList,
                etcdserverpb::AuthRoleListRequest(), &r, &code, {.timeout = false})) {
    return code;
  }
  if (out.format == Format::kSimple) {
    for (const auto& role : r.roles()) std::cout << role << "\n";
  } else if (out.format == Format::kFields) {
    FieldsHeader(r.header());
    std::cout << "\"Roles\" :";
    for (const auto& role : r.roles()) std::cout << " " << GoQuote(role);
    std::cout << "\n";
  } else if (!PrintRpc(out, r)) {
    return Unsupported(out);
  }
  return kExitSuccess;
}

// permRange / rangeEndFromPermFlags: the key and range end of a permission.
bool PermRange(const FlagSet& f, const std::vector<std::string>& args, std::string* key,
               std::string* end, int* code) {
  const bool prefix = f.GetBool("prefix"), from_key = f.GetBool("from-key");
  *key = args[0];
  end->clear();
  std::string err;
  if (key->empty()) {
    if (prefix && from_key) err = "--from-key and --prefix flags are mutually exclusive";
    *key = std::string(1, '\0');
    if (prefix || from_key) *end = std::string(1, '\0');
  } else if (args.size() == 1) {
    if (prefix && from_key)
      err = "--from-key and --prefix flags are mutually exclusive";
    else if (prefix)
      *end = PrefixRangeEnd(args[0]);
    else if (from_key)
      *end = std::string(1, '\0');
  } else if (prefix) {
    err = "unexpected endkey argument with --prefix flag";
  } else if (from_key) {
    err = "unexpected endkey argument with --from-key flag";
  } else {
    *end = args[1];
  }
  if (err.empty()) return true;
  *code = Fail(kExitBadArgs, err);
  return false;
}

int RunRoleGrant(Invocation& inv) {
  if (inv.args.size() < 3) {
    return Fail(
        kExitBadArgs,
        "role grant command requires role name, permission type, and key [endkey] as its argument");
  }
  authpb::Permission::Type type;
  if (!authpb::Permission::Type_Parse(absl::AsciiStrToUpper(inv.args[1]), &type)) {
    return Fail(kExitBadArgs, absl::StrCat("invalid permission type: ", inv.args[1]));
  }
  etcdserverpb::AuthRoleGrantPermissionRequest req;
  req.set_name(inv.args[0]);
  std::string key, end;
  int code = 0;
  if (!PermRange(*inv.flags, {inv.args.begin() + 2, inv.args.end()}, &key, &end, &code))
    return code;
  req.mutable_perm()->set_key(key);
  req.mutable_perm()->set_range_end(end);
  req.mutable_perm()->set_permtype(type);
  return AuthCall<etcdserverpb::AuthRoleGrantPermissionRequest,
                  etcdserverpb::AuthRoleGrantPermissionResponse>(
      inv, req, &etcdserverpb::Auth::Stub::RoleGrantPermission,
      [&](const auto&) { std::cout << "Role " << inv.args[0] << " updated\n"; });
}

int RunRoleRevoke(Invocation& inv) {
  if (inv.args.size() < 2) {
    return Fail(
        kExitBadArgs,
        "role revoke-permission command requires role name and key [endkey] as its argument");
  }
  std::string key, end;
  int code = 0;
  if (!PermRange(*inv.flags, {inv.args.begin() + 1, inv.args.end()}, &key, &end, &code))
    return code;
  etcdserverpb::AuthRoleRevokePermissionRequest req;
  req.set_role(inv.args[0]);
  req.set_key(key);
  req.set_range_end(end);
  const std::string &role = inv.args[0], &shown = inv.args[1];
  return AuthCall<etcdserverpb::AuthRoleRevokePermissionRequest,
                  etcdserverpb::AuthRoleRevokePermissionResponse>(
      inv, req, &etcdserverpb::Auth::Stub::RoleRevokePermission, [&](const auto&) {
        if (end.empty()) {
          std::cout << "Permission of key " << shown << " is revoked from role " << role << "\n";
        } else if (end != std::string(1, '\0')) {
          std::cout << "Permission of range [" << shown << ", " << end << ") is revoked from role "
                    << role << "\n";
        } else {
          std::cout << "Permission of range [" << shown << ", <open ended> is revoked from role "
                    << role << "\n";
        }
      });
}

}  // namespace

void AddAuthCommands(Command& root) {
  auto auth = NewCommand("auth <enable or disable>", "Enable or disable authentication", nullptr);
  auth->Add(NewCommand("enable", "Enables authentication", RunAuthEnable));
  auth->Add(NewCommand("disable", "Disables authentication", RunAuthDisable));
  auth->Add(NewCommand("status", "Returns authentication status", RunAuthStatus));  // etcd 3.6
  root.Add(std::move(auth));

  auto user = NewCommand("user <subcommand>", "User related commands", nullptr);
  auto add =
      NewCommand("add <user name or user:password> [options]", "Adds a new user", RunUserAdd);
  add->flags.AddBool("interactive", true,
                     "Read password from stdin instead of interactive terminal");
  add->flags.AddString("new-user-password", "", "Supply password from the command line flag");
  add->flags.AddBool("no-password", false, "Create a user without password (CN based auth only)");
  user->Add(std::move(add));
  user->Add(NewCommand("delete <user name>", "Deletes a user", RunUserDelete));
  auto get =
      NewCommand("get <user name> [options]", "Gets detailed information of a user", RunUserGet);
  get->flags.AddBool("detail", false, "Show permissions of roles granted to the user");
  user->Add(std::move(get));
  user->Add(NewCommand("list", "Lists all users", RunUserList));
  auto passwd =
      NewCommand("passwd <user name> [options]", "Changes password of user", RunUserPasswd);
  passwd->flags.AddBool("interactive", true,
                        "If true, read password from stdin instead of interactive terminal");
  user->Add(std::move(passwd));
  user->Add(NewCommand("grant-role <user name> <role name>", "Grants a role to a user",
                       [](Invocation& inv) { return RunUserRole(inv, true); }));
  user->Add(NewCommand("revoke-role <user name> <role name>", "Revokes a role from a user",
                       [](Invocation& inv) { return RunUserRole(inv, false); }));
  root.Add(std::move(user));

  auto role = NewCommand("role <subcommand>", "Role related commands", nullptr);
  role->Add(NewCommand("add <role name>", "Adds a new role", RunRoleAdd));
  role->Add(NewCommand("delete <role name>", "Deletes a role", RunRoleDelete));
  role->Add(NewCommand("get <role name>", "Gets detailed information of a role", RunRoleGet));
  role->Add(NewCommand("list", "Lists all roles", RunRoleList));
  auto grant = NewCommand("grant-permission [options] <role name> <permission type> <key> [endkey]",
                          "Grants a key to a role", RunRoleGrant);
  grant->flags.AddBool("prefix", false, "grant a prefix permission");
  grant->flags.AddBool("from-key", false,
                       "grant a permission of keys that are greater than or equal to the given key "
                       "using byte compare");
  role->Add(std::move(grant));
  auto revoke = NewCommand("revoke-permission <role name> <key> [endkey]",
                           "Revokes a key from a role", RunRoleRevoke);
  revoke->flags.AddBool("prefix", false, "revoke a prefix permission");
  revoke->flags.AddBool(
      "from-key", false,
      "revoke a permission of keys that are greater than or equal to the given key "
      "using byte compare");
  role->Add(std::move(revoke));
  root.Add(std::move(role));
}

}  // namespace etcdpp::etcdctl
