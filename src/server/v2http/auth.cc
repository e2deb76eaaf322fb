// /v2/auth and the access checks of the other v2 handlers under auth: etcd 3.4's authHandler
// and its hasRootAccess / hasKeyPrefixAccess / hasGuestAccess (api/v2http/client_auth.go).
#include <chrono>
#include <cstdlib>
#include <future>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/v2http/v2_http.h"
#include "server/v2store/node.h"

namespace etcdpp::server::v2http {
namespace {

constexpr std::string_view kAuthPrefix = "/v2/auth";
// How long a worker waits for a proposal's answer at most (the proposer answers sooner: its
// request timeout).
constexpr auto kProposeWait = std::chrono::seconds(60);

void NotFound(http::Responder* resp) {
  resp->Reply(404, "text/plain; charset=utf-8", "404 page not found\n",
              {{"X-Content-Type-Options", "nosniff"}});
}

// A v2 error as DoResult carries it.
DoResult FromV2Error(const internalpb::V2Response& r, int code) {
  return DoResult{code, HttpError{r.http_status(), r.json(), r.etcd_index()}, {}, {}};
}

// The errorCode of a v2 error's JSON.
int ErrorCode(const std::string& json) {
  constexpr std::string_view kKey = "\"errorCode\":";
  const size_t at = json.find(kKey);
  if (at == std::string::npos) return 0;
  return std::atoi(json.c_str() + at + kKey.size());
}

// The node's value and its children's keys, from a read's event JSON (a QGET's answer: reading
// the local store again would count a second read in the store's statistics, which etcd's
// does not).
DoResult NodeOf(const std::string& event_json) {
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(event_json, &s).ok()) {
    return DoResult{0, HttpErr(500, "Internal Server Error"), {}, {}};
  }
  DoResult d;
  auto node = s.fields().find("node");
  if (node == s.fields().end()) return d;
  const google::protobuf::Struct& n = node->second.struct_value();
  if (auto v = n.fields().find("value"); v != n.fields().end()) d.value = v->second.string_value();
  if (auto c = n.fields().find("nodes"); c != n.fields().end()) {
    for (const google::protobuf::Value& child : c->second.list_value().values()) {
      auto key = child.struct_value().fields().find("key");
      if (key != child.struct_value().fields().end())
        d.children.push_back(key->second.string_value());
    }
  }
  return d;
}

// Go's Request.BasicAuth.
bool BasicAuth(const http::Request& req, std::string* user, std::string* password) {
  const std::string auth = req.Header("authorization");
  const absl::string_view prefix = "Basic ";
  if (auth.size() < prefix.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(auth.data(), prefix.size()), prefix)) {
    return false;
  }
  std::string decoded;
  if (!absl::Base64Unescape(auth.substr(prefix.size()), &decoded)) return false;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

bool IsRead(const http::Request& req) { return req.method == "GET" || req.method == "HEAD"; }

}  // namespace

DoResult V2Http::AuthDo(internalpb::V2Request r) {
  if (r.method() == "GET") {
    return v_.store->With([&](v2store::Store* s) {
      v2store::Result<v2store::Event> e = s->Get(r.path(), false, false, absl::Now());
      if (!e.ok()) {
        return FromV2Error(RenderV2Result(e.error()), e.error().code);
      }
      DoResult d;
      const v2store::NodeExtern& n = *e.value().node;
      d.value = n.value;
      for (const v2store::NodeExtern& c : n.nodes) d.children.push_back(c.key);
      return d;
    });
  }
  auto answer = std::make_shared<std::promise<absl::StatusOr<internalpb::V2Response>>>();
  std::future<absl::StatusOr<internalpb::V2Response>> got = answer->get_future();
  const bool qget = r.method() == "QGET";
  v_.propose(std::move(r), [answer](absl::StatusOr<internalpb::V2Response> res) {
    answer->set_value(std::move(res));
  });
  if (got.wait_for(kProposeWait) != std::future_status::ready) {
    return DoResult{0, HttpErr(500, "Internal Server Error"), {}, {}};
  }
  absl::StatusOr<internalpb::V2Response> res = got.get();
  if (!res.ok()) return DoResult{0, HttpErr(500, "Internal Server Error"), {}, {}};
  if (res->action().empty()) return FromV2Error(*res, ErrorCode(res->json()));
  if (!qget) return DoResult{};
  return NodeOf(res->json());
}

void V2Http::ReplyAuthError(const HttpError& e, bool with_cluster_id, http::Responder* resp) const {
  http::Headers h;
  if (with_cluster_id) h.push_back({"X-Etcd-Cluster-ID", ClusterId()});
  if (e.etcd_index.has_value()) h.push_back({"X-Etcd-Index", absl::StrCat(*e.etcd_index)});
  resp->Reply(e.status, "application/json", e.body, h);
}

void V2Http::ReplyNoAuth(http::Responder* resp) const {
  ReplyAuthError(HttpErr(401, "Insufficient credentials"), false, resp);
}

bool V2Http::RunOnAuthWorker(std::function<void()> task, http::Responder* resp) {
  if (v_.auth_executor->Submit(std::move(task)).ok()) return true;
  ReplyAuthError(HttpErr(500, "Internal Server Error"), false, resp);
  return false;
}

std::optional<User> V2Http::UserFromBasicAuth(const http::Request& req) {
  std::string name, password;
  if (!BasicAuth(req, &name, &password)) return std::nullopt;
  AuthOr<User> u = auth_->GetUser(name);
  if (!u.ok() || !AuthStore::CheckPassword(u.value(), password)) return std::nullopt;
  return u.value();
}

// etcd looks each Common Name of the verified chains up as a user name, the first found wins.
std::optional<User> V2Http::UserFromClientCertificate(const http::Request& req) {
  for (const std::string& cn : req.tls_chain_common_names) {
    AuthOr<User> u = auth_->GetUser(cn);
    if (u.ok()) return u.value();
  }
  return std::nullopt;
}

// The request's user (basic auth, or the certificate's when there is no Authorization header
// and --client-cert-auth is on); `anonymous` says there was neither.
std::optional<User> V2Http::RequestUser(const http::Request& req, bool* anonymous) {
  *anonymous = false;
  if (req.Header("authorization").empty()) {
    std::optional<User> u;
    if (v_.client_cert_auth) u = UserFromClientCertificate(req);
    *anonymous = !u.has_value();
    return u;
  }
  return UserFromBasicAuth(req);
}

bool V2Http::HasRootAccess(const http::Request& req) {
  return !auth_->AuthEnabled() || IsRoot(req);
}

bool V2Http::IsRoot(const http::Request& req) {
  bool anonymous = false;
  std::optional<User> u = RequestUser(req, &anonymous);
  if (!u.has_value() || !u->roles.has_value()) return false;
  for (const std::string& r : *u->roles) {
    if (r == kRootRoleName) return true;
  }
  return false;
}

bool V2Http::HasKeyPrefixAccess(const http::Request& req, const std::string& key, bool recursive) {
  const bool write = !IsRead(req);
  bool anonymous = false;
  std::optional<User> u = RequestUser(req, &anonymous);
  if (anonymous) {
    AuthOr<Role> guest = auth_->GetRole(std::string(kGuestRoleName));
    return guest.ok() && guest.value().HasKeyAccess(key, write);
  }
  if (!u.has_value() || !u->roles.has_value()) return false;
  for (const std::string& name : *u->roles) {
    AuthOr<Role> role = auth_->GetRole(name);
    if (!role.ok()) continue;
    if (recursive ? role.value().HasRecursiveAccess(key, write)
                  : role.value().HasKeyAccess(key, write)) {
      return true;
    }
  }
  return false;
}

bool V2Http::AuthEnabled() { return auth_->AuthEnabled(); }

// etcd's handleAuth routes, as its ServeMux matches them.
void V2Http::Auth(const http::Request& req, const std::string& path,
                  std::shared_ptr<http::Responder> resp) {
  const std::string sub = path.substr(kAuthPrefix.size());
  const bool users = sub == "/users" || sub.starts_with("/users/");
  const bool roles = sub == "/roles" || sub.starts_with("/roles/");
  if (!users && !roles && sub != "/enable") {
    NotFound(resp.get());
    return;
  }
  http::Responder* r = resp.get();
  RunOnAuthWorker(
      [this, req, sub, users, roles, resp] {
        if (sub == "/enable") return EnableDisable(req, resp.get());
        // "/users/name" splits into "", "users", "name".
        std::vector<std::string> pieces = absl::StrSplit(v2store::CleanPath(sub), '/');
        if (pieces.size() == 2)
          return users ? BaseUsers(req, resp.get()) : BaseRoles(req, resp.get());
        if (pieces.size() != 3) {
          return ReplyAuthError(HttpErr(400, "Invalid path"), false, resp.get());
        }
        if (users) return ForUser(req, pieces[2], resp.get());
        if (roles) ForRole(req, pieces[2], resp.get());
      },
      r);
}

void V2Http::ReplyJson(int status, std::string body, http::Responder* resp) const {
  resp->Reply(status, "application/json", std::move(body), {{"X-Etcd-Cluster-ID", ClusterId()}});
}

void V2Http::BaseRoles(const http::Request& req, http::Responder* resp) {
  if (!AllowMethod(req.method, {"GET"}, resp)) return;
  if (!HasRootAccess(req)) return ReplyNoAuth(resp);
  AuthOr<std::vector<std::string>> names = auth_->AllRoles();
  if (!names.ok()) return ReplyAuthError(names.error(), true, resp);
  std::string out = "{\"roles\":[";
  for (size_t i = 0; i < names.value().size(); ++i) {
    AuthOr<Role> role = auth_->GetRole(names.value()[i]);
    if (!role.ok()) return ReplyAuthError(role.error(), true, resp);
    if (i > 0) out += ',';
    out += RoleJson(role.value());
  }
  ReplyJson(200, out + "]}\n", resp);
}

void V2Http::ForRole(const http::Request& req, const std::string& name, http::Responder* resp) {
  if (!AllowMethod(req.method, {"GET", "PUT", "DELETE"}, resp)) return;
  if (!HasRootAccess(req)) return ReplyNoAuth(resp);
  if (req.method == "GET") {
    AuthOr<Role> role = auth_->GetRole(name);
    if (!role.ok()) return ReplyAuthError(role.error(), true, resp);
    return ReplyJson(200, RoleJson(role.value()) + "\n", resp);
  }
  if (req.method == "DELETE") {
    if (AuthStatus st = auth_->DeleteRole(name); st.has_value()) {
      return ReplyAuthError(*st, true, resp);
    }
    return ReplyJson(200, "", resp);
  }
  std::optional<Role> in = ParseRole(req.body);
  if (!in.has_value()) {
    return ReplyAuthError(HttpErr(400, "Invalid JSON in request body."), true, resp);
  }
  if (in->role != name) {
    return ReplyAuthError(HttpErr(400, "Role JSON name does not match the name in the URL"), true,
                          resp);
  }
  const bool no_grant = !in->grant.has_value() || in->grant->IsEmpty();
  const bool no_revoke = !in->revoke.has_value() || in->revoke->IsEmpty();
  if (no_grant && no_revoke) {
    if (AuthStatus st = auth_->CreateRole(*in); st.has_value()) {
      return ReplyAuthError(*st, true, resp);
    }
    return ReplyJson(201, RoleJson(*in) + "\n", resp);
  }
  if (!in->permissions.IsEmpty()) {
    return ReplyAuthError(HttpErr(400, "Role JSON contains both permissions and grant/revoke"),
                          true, resp);
  }
  AuthOr<Role> out = auth_->UpdateRole(*in);
  if (!out.ok()) return ReplyAuthError(out.error(), true, resp);
  ReplyJson(200, RoleJson(out.value()) + "\n", resp);
}

// userWithRoles: {"user":..,"roles":[role...]} with "roles" left out when there are none.
// `skip_missing`: a role that cannot be read is left out (the list) or fails the answer.
AuthOr<std::string> V2Http::UserWithRolesJson(const User& u, bool skip_missing) {
  std::string out = "{\"user\":";
  AppendGoJsonQuote(u.user, &out);
  std::string roles;
  for (const std::string& name : u.roles.value_or(std::vector<std::string>{})) {
    AuthOr<Role> role = auth_->GetRole(name);
    if (!role.ok()) {
      if (skip_missing) continue;
      return role.error();
    }
    roles += roles.empty() ? "" : ",";
    roles += RoleJson(role.value());
  }
  if (!roles.empty()) absl::StrAppend(&out, ",\"roles\":[", roles, "]");
  return out + "}";
}

void V2Http::BaseUsers(const http::Request& req, http::Responder* resp) {
  if (!AllowMethod(req.method, {"GET"}, resp)) return;
  if (!HasRootAccess(req)) return ReplyNoAuth(resp);
  AuthOr<std::vector<std::string>> names = auth_->AllUsers();
  if (!names.ok()) return ReplyAuthError(names.error(), true, resp);
  std::string list;
  for (const std::string& name : names.value()) {
    AuthOr<User> u = auth_->GetUser(name);
    if (!u.ok()) return ReplyAuthError(u.error(), true, resp);
    AuthOr<std::string> j = UserWithRolesJson(u.value(), true);
    list += list.empty() ? "" : ",";
    list += j.value();
  }
  ReplyJson(200, absl::StrCat("{\"users\":", list.empty() ? "null" : "[" + list + "]", "}\n"),
            resp);
}

void V2Http::ForUser(const http::Request& req, const std::string& name, http::Responder* resp) {
  if (!AllowMethod(req.method, {"GET", "PUT", "DELETE"}, resp)) return;
  if (!HasRootAccess(req)) return ReplyNoAuth(resp);
  if (req.method == "GET") {
    AuthOr<User> u = auth_->GetUser(name);
    if (!u.ok()) return ReplyAuthError(u.error(), true, resp);
    AuthOr<std::string> j = UserWithRolesJson(u.value(), false);
    if (!j.ok()) return ReplyAuthError(j.error(), true, resp);
    return ReplyJson(200, j.value() + "\n", resp);
  }
  if (req.method == "DELETE") {
    if (AuthStatus st = auth_->DeleteUser(name); st.has_value()) {
      return ReplyAuthError(*st, true, resp);
    }
    return ReplyJson(200, "", resp);
  }
  PutUser(req, name, resp);
}

void V2Http::PutUser(const http::Request& req, const std::string& name, http::Responder* resp) {
  std::optional<User> in = ParseUser(req.body);
  if (!in.has_value()) {
    return ReplyAuthError(HttpErr(400, "Invalid JSON in request body."), true, resp);
  }
  if (in->user != name) {
    return ReplyAuthError(HttpErr(400, "User JSON name does not match the name in the URL"), true,
                          resp);
  }
  const bool has_roles = in->roles.has_value() && !in->roles->empty();
  bool created = false;
  std::optional<AuthOr<User>> out;
  if (in->grant.empty() && in->revoke.empty()) {
    if (has_roles) {
      out = auth_->CreateUser(*in);
    } else {
      AuthOr<std::pair<User, bool>> r = auth_->CreateOrUpdateUser(*in);
      if (!r.ok()) return ReplyAuthError(r.error(), true, resp);
      created = r.value().second;
      out = r.value().first;
    }
  } else {
    if (has_roles) {
      return ReplyAuthError(HttpErr(400, "User JSON contains both roles and grant/revoke"), true,
                            resp);
    }
    out = auth_->UpdateUser(*in);
  }
  if (!out->ok()) return ReplyAuthError(out->error(), true, resp);
  User u = out->value();
  u.password.clear();
  ReplyJson(created ? 201 : 200, UserJson(u) + "\n", resp);
}

void V2Http::EnableDisable(const http::Request& req, http::Responder* resp) {
  if (!AllowMethod(req.method, {"GET", "PUT", "DELETE"}, resp)) return;
  if (!IsRead(req) && !HasRootAccess(req)) return ReplyNoAuth(resp);
  const bool enabled = auth_->AuthEnabled();
  if (req.method == "GET") {
    return ReplyJson(200, absl::StrCat("{\"enabled\":", enabled ? "true" : "false", "}\n"), resp);
  }
  AuthStatus st = req.method == "PUT" ? auth_->EnableAuth() : auth_->DisableAuth();
  if (st.has_value()) return ReplyAuthError(*st, true, resp);
  ReplyJson(200, "", resp);
}

}  // namespace etcdpp::server::v2http
