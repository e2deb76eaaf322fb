// The v2 user, role and auth commands (ctlv2/command/{user,role,auth}_commands.go over
// client/auth_user.go and auth_role.go).

#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_text.h"
#include "v2/ctl.h"
#include "v2/ctl_shared.h"

namespace etcdpp::etcdctl::v2 {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

std::string JsonQuoted(const std::string& s) {
  std::string q;
  AppendGoJsonQuote(s, &q);
  return q;
}

std::string JsonList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& i : items) quoted.push_back(JsonQuoted(i));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

// One /v2/auth call: the body on one of the `ok` statuses; otherwise the error text the Go
// client gives (the authError's message, or the JSON error when the body is not one).
absl::StatusOr<std::string> AuthCall(ClusterClient& cl, const std::string& method,
                                     const std::string& path, const std::string& json_body,
                                     absl::Time deadline, std::initializer_list<long> ok,
                                     bool auth_error_body = true) {
  HttpRequest req{method, PathEscape(CanonicalUrlPath(path))};
  if (!json_body.empty()) {
    req.json = true;
    req.form = json_body;
  }
  std::string detail;
  absl::StatusOr<HttpResponse> r = cl.Do(req, deadline, &detail);
  if (!r.ok()) return r.status();
  for (long code : ok) {
    if (r->status == code) return r->body;
  }
  if (!auth_error_body) {
    return absl::UnknownError(absl::StrCat("unexpected status code ", r->status));
  }
  absl::StatusOr<Struct> s = ParseJson(r->body);
  if (!s.ok()) {
    return absl::UnknownError(r->body.empty() ? "unexpected end of JSON input"
                                              : std::string(s.status().message()));
  }
  return absl::UnknownError(StringField(*s, "message"));
}

// One change through /v2/auth: its error and exit 1, or `done` on stdout.
int AuthChange(ClusterClient& cl, const std::string& method, const std::string& path,
               const std::string& body, absl::Time deadline, std::initializer_list<long> ok,
               const std::string& done) {
  absl::StatusOr<std::string> r = AuthCall(cl, method, path, body, deadline, ok);
  if (!r.ok()) PrintStatusAndExit(r.status());
  Print(done);
  return 0;
}

std::string UserArg(Context& c) {
  if (c.Args().size() != 1) PrintAndExit("Please provide a username");
  return c.Args()[0];
}

std::string RoleArg(Context& c) {
  if (c.Args().size() != 1) PrintAndExit("Please provide a role name");
  return c.Args()[0];
}

std::unique_ptr<ClusterClient> MustNewAuthClient(Context& c) {
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  if (c.GlobalBool("debug")) {
    std::cerr << "Cluster-Endpoints: " << absl::StrJoin(cl->endpoints(), ", ") << "\n";
  }
  return cl;
}

// The "user"/"role" names of a {"users":[...]} or {"roles":[...]} listing.
void PrintNames(const std::string& body, const char* list, const char* field) {
  absl::StatusOr<Struct> s = ParseJson(body);
  if (!s.ok()) PrintStatusAndExit(s.status());
  auto it = s->fields().find(list);
  if (it == s->fields().end() || it->second.kind_case() != Value::kListValue) return;
  for (const Value& v : it->second.list_value().values()) {
    Print(absl::StrCat(StringField(v.struct_value(), field), "\n"));
  }
}

// user list, role list. A role listing's error is only its status (the Go client's role list
// reads no authError body).
Action ListNames(bool user) {
  return [user](Context& c) {
    if (!c.Args().empty()) PrintAndExit("No arguments accepted");
    std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
    absl::StatusOr<std::string> body = AuthCall(
        *cl, "GET", user ? "/v2/auth/users" : "/v2/auth/roles", "", TotalDeadline(c), {200}, user);
    if (!body.ok()) PrintStatusAndExit(body.status());
    PrintNames(*body, user ? "users" : "roles", user ? "user" : "role");
    return 0;
  };
}

// json.Marshal(&client.User{User: u, Password: p}) (the password omitted when empty).
std::string UserBody(const std::string& user, const std::string& pass) {
  return absl::StrCat("{\"user\":", JsonQuoted(user),
                      pass.empty() ? "" : absl::StrCat(",\"password\":", JsonQuoted(pass)),
                      ",\"roles\":null}");
}

int UserAdd(Context& c) {
  std::string arg = UserArg(c);
  std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
  absl::Time deadline = TotalDeadline(c);
  size_t colon = arg.find(':');
  std::string user = arg.substr(0, colon);
  std::string pass =
      colon == std::string::npos ? AskPassword("New password: ") : arg.substr(colon + 1);
  return AuthChange(*cl, "PUT", "/v2/auth/users/" + user, UserBody(user, pass), deadline,
                    {200, 201}, absl::StrCat("User ", user, " created\n"));
}

// user remove, role remove.
Action AuthRemove(bool user) {
  return [user](Context& c) {
    std::string name = user ? UserArg(c) : RoleArg(c);
    std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
    return AuthChange(
        *cl, "DELETE", absl::StrCat(user ? "/v2/auth/users/" : "/v2/auth/roles/", name), "",
        TotalDeadline(c), {200, 201}, absl::StrCat(user ? "User " : "Role ", name, " removed\n"));
  };
}

int UserPasswd(Context& c) {
  std::string user = UserArg(c);
  std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
  absl::Time deadline = TotalDeadline(c);
  std::string pass = AskPassword("New password: ");
  return AuthChange(*cl, "PUT", "/v2/auth/users/" + user, UserBody(user, pass), deadline, {200},
                    "Password updated\n");
}

Action UserGrantRevoke(bool grant) {
  return [grant](Context& c) {
    std::vector<std::string> roles = c.StringSlice("roles");
    if (roles.empty()) PrintAndExit("No roles specified; please use `--roles`");
    absl::Time deadline = TotalDeadline(c);
    std::string user = UserArg(c);
    std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
    std::string body = absl::StrCat("{\"user\":", JsonQuoted(user), ",\"roles\":null,\"",
                                    grant ? "grant" : "revoke", "\":", JsonList(roles), "}");
    return AuthChange(*cl, "PUT", "/v2/auth/users/" + user, body, deadline, {200},
                      absl::StrCat("User ", user, " updated\n"));
  };
}

int UserGet(Context& c) {
  std::string name = UserArg(c);
  std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
  absl::StatusOr<std::string> r =
      AuthCall(*cl, "GET", "/v2/auth/users/" + name, "", TotalDeadline(c), {200});
  if (!r.ok()) PrintStatusAndExit(r.status());
  absl::StatusOr<Struct> s = ParseJson(*r);
  if (!s.ok()) PrintStatusAndExit(s.status());
  std::vector<std::string> roles;
  auto it = s->fields().find("roles");
  if (it != s->fields().end() && it->second.kind_case() == Value::kListValue) {
    const auto& values = it->second.list_value().values();
    bool objects = false;
    for (const Value& v : values) objects = objects || v.kind_case() == Value::kStructValue;
    if (objects) {
      // The Go client decodes into client.User first, which leaves one "" per role object before
      // it falls back to UserRoles and appends the names: "Roles:  root" has two spaces.
      roles.assign(values.size(), "");
      for (const Value& v : values) roles.push_back(StringField(v.struct_value(), "role"));
    } else {
      for (const Value& v : values) roles.push_back(v.string_value());
    }
  }
  Print(absl::StrCat("User: ", StringField(*s, "user"), "\nRoles: ", absl::StrJoin(roles, " "),
                     "\n"));
  return 0;
}

// A role as the Go client decodes it; null and [] lists are kept apart as reflect.DeepEqual does.
struct Role {
  std::string name;
  std::optional<std::vector<std::string>> read, write;
  bool operator==(const Role&) const = default;
};

Role ToRole(const Struct& s) {
  Role r;
  r.name = StringField(s, "role");
  auto perms = s.fields().find("permissions");
  if (perms == s.fields().end() || perms->second.kind_case() != Value::kStructValue) return r;
  auto kv = perms->second.struct_value().fields().find("kv");
  if (kv == perms->second.struct_value().fields().end() ||
      kv->second.kind_case() != Value::kStructValue) {
    return r;
  }
  const Struct& rw = kv->second.struct_value();
  for (auto [field, out] : {std::pair{"read", &r.read}, std::pair{"write", &r.write}}) {
    auto it = rw.fields().find(field);
    if (it != rw.fields().end() && it->second.kind_case() == Value::kListValue) {
      *out = StringList(rw, field);
    }
  }
  return r;
}

absl::StatusOr<Role> GetRole(ClusterClient& cl, const std::string& name, absl::Time deadline) {
  absl::StatusOr<std::string> r =
      AuthCall(cl, "GET", "/v2/auth/roles/" + name, "", deadline, {200});
  if (!r.ok()) return r.status();
  absl::StatusOr<Struct> s = ParseJson(*r);
  if (!s.ok()) return s.status();
  return ToRole(*s);
}

int RoleAdd(Context& c) {
  std::string role = RoleArg(c);
  std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
  absl::Time deadline = TotalDeadline(c);
  if (GetRole(*cl, role, deadline).ok()) {
    std::cerr << "Role " << role << " already exists\n";
    Exit(1);
  }
  std::string body = absl::StrCat("{\"role\":", JsonQuoted(role),
                                  ",\"permissions\":{\"kv\":{\"read\":null,\"write\":null}}}");
  return AuthChange(*cl, "PUT", "/v2/auth/roles/" + role, body, deadline, {200, 201},
                    absl::StrCat("Role ", role, " created\n"));
}

Action RoleGrantRevoke(bool grant) {
  return [grant](Context& c) {
    std::string path = c.String("path");
    if (path.empty()) PrintAndExit("No path specified; please use `--path`");
    if (CanonicalUrlPath(path) != path) {
      PrintAndExit(
          absl::StrCat("Not canonical path; please use `--path=", CanonicalUrlPath(path), "`"));
    }
    bool read = c.Bool("read"), write = c.Bool("write"), rw = c.Bool("readwrite");
    if (static_cast<int>(read) + static_cast<int>(write) + static_cast<int>(rw) != 1) {
      PrintAndExit("Please specify exactly one of --read, --write or --readwrite");
    }
    std::string role = RoleArg(c);
    std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
    absl::Time deadline = TotalDeadline(c);
    absl::StatusOr<Role> current = GetRole(*cl, role, deadline);
    if (!current.ok()) PrintStatusAndExit(current.status());
    std::string list = JsonList({path});
    std::string kv = absl::StrCat("{\"kv\":{\"read\":", read || rw ? list : "null",
                                  ",\"write\":", write || rw ? list : "null", "}}");
    std::string body = absl::StrCat("{\"role\":", JsonQuoted(role),
                                    ",\"permissions\":{\"kv\":{\"read\":null,\"write\":null}},\"",
                                    grant ? "grant" : "revoke", "\":", kv, "}");
    absl::StatusOr<std::string> r =
        AuthCall(*cl, "PUT", "/v2/auth/roles/" + role, body, deadline, {200});
    if (!r.ok()) PrintStatusAndExit(r.status());
    absl::StatusOr<Struct> s = ParseJson(*r);
    if (!s.ok()) PrintStatusAndExit(s.status());
    if (ToRole(*s) == *current) {
      Print(grant ? "Role unchanged; already granted" : "Role unchanged; already revoked");
    }
    Print(absl::StrCat("Role ", role, " updated\n"));
    return 0;
  };
}

int RoleGet(Context& c) {
  std::string name = RoleArg(c);
  std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
  absl::StatusOr<Role> role = GetRole(*cl, name, TotalDeadline(c));
  if (!role.ok()) PrintStatusAndExit(role.status());
  std::string out = absl::StrCat("Role: ", role->name, "\nKV Read:\n");
  for (const std::string& p : role->read.value_or(std::vector<std::string>{})) {
    absl::StrAppend(&out, "\t", p, "\n");
  }
  out += "KV Write:\n";
  for (const std::string& p : role->write.value_or(std::vector<std::string>{})) {
    absl::StrAppend(&out, "\t", p, "\n");
  }
  Print(out);
  return 0;
}

Action AuthEnableDisable(bool enable) {
  return [enable](Context& c) {
    if (!c.Args().empty()) PrintAndExit("No arguments accepted");
    std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
    return AuthChange(*cl, enable ? "PUT" : "DELETE", "/v2/auth/enable", "", TotalDeadline(c),
                      {200, 201},
                      enable ? "Authentication Enabled\n" : "Authentication Disabled\n");
  };
}

}  // namespace

std::vector<CliCommand> AuthCommands() {
  std::vector<CliCommand> cmds;
  std::vector<FlagSpec> roles_flag{
      {"roles", FlagKind::kStringSlice, "", "List of roles to grant or revoke"}};
  cmds.push_back(
      {"user",
       "user add, grant and revoke subcommands",
       "",
       "",
       {},
       nullptr,
       {{"add", "add a new user for the etcd cluster", "<user>", "", {}, UserAdd, {}},
        {"get", "get details for a user", "<user>", "", {}, UserGet, {}},
        {"list", "list all current users", "<user>", "", {}, ListNames(true), {}},
        {"remove", "remove a user for the etcd cluster", "<user>", "", {}, AuthRemove(true), {}},
        {"grant",
         "grant roles to an etcd user",
         "<user>",
         "",
         roles_flag,
         UserGrantRevoke(true),
         {}},
        {"revoke",
         "revoke roles for an etcd user",
         "<user>",
         "",
         roles_flag,
         UserGrantRevoke(false),
         {}},
        {"passwd", "change password for a user", "<user>", "", {}, UserPasswd, {}}}});
  auto perm_flags = [](const char* verb, const char* r, const char* w, const char* rw) {
    return std::vector<FlagSpec>{
        {"path", FlagKind::kString, "", absl::StrCat("Path ", verb, " for the role to access")},
        {"read", FlagKind::kBool, "", r},
        {"write", FlagKind::kBool, "", w},
        {"readwrite, rw", FlagKind::kBool, "", rw}};
  };
  cmds.push_back(
      {"role",
       "role add, grant and revoke subcommands",
       "",
       "",
       {},
       nullptr,
       {{"add", "add a new role for the etcd cluster", "<role> ", "", {}, RoleAdd, {}},
        {"get", "get details for a role", "<role>", "", {}, RoleGet, {}},
        {"list", "list all roles", " ", "", {}, ListNames(false), {}},
        {"remove", "remove a role from the etcd cluster", "<role>", "", {}, AuthRemove(false), {}},
        {"grant",
         "grant path matches to an etcd role",
         "<role>",
         "",
         perm_flags("granted", "Grant read-only access", "Grant write-only access",
                    "Grant read-write access"),
         RoleGrantRevoke(true),
         {}},
        {"revoke",
         "revoke path matches for an etcd role",
         "<role>",
         "",
         perm_flags("revoked", "Revoke read access", "Revoke write access",
                    "Revoke read-write access"),
         RoleGrantRevoke(false),
         {}}}});
  cmds.push_back(
      {"auth",
       "overall auth controls",
       "",
       "",
       {},
       nullptr,
       {{"enable", "enable auth access controls", " ", "", {}, AuthEnableDisable(true), {}},
        {"disable", "disable auth access controls", " ", "", {}, AuthEnableDisable(false), {}}}});
  return cmds;
}

}  // namespace etcdpp::etcdctl::v2
