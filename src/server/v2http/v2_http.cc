#include "server/v2http/v2_http.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/bcrypt.h"
#include "common/json_text.h"

namespace etcdpp::server::v2http {
namespace {

constexpr std::string_view kStatsPrefix = "/v2/stats/";
constexpr std::string_view kMembersPrefix = "/v2/members";

void NotFound(http::Responder* resp) {
  resp->Reply(404, "text/plain; charset=utf-8", "404 page not found\n",
              {{"X-Content-Type-Options", "nosniff"}});
}

// httptypes.Member: {"id","name","peerURLs","clientURLs"}.
std::string MemberJson(const Member& m) {
  std::string out = absl::StrCat("{\"id\":\"", absl::Hex(m.id), "\",\"name\":");
  AppendGoJsonQuote(m.name, &out);
  out += ",\"peerURLs\":";
  AppendJsonStrings(m.peer_urls, false, &out);
  out += ",\"clientURLs\":";
  AppendJsonStrings(m.client_urls, false, &out);
  out += '}';
  return out;
}

// Go's http.Redirect with 301, as ServeMux answers a path that is not clean.
void Redirect(const http::Request& req, const std::string& clean, http::Responder* resp) {
  std::string url = req.query.empty() ? clean : absl::StrCat(clean, "?", req.query);
  std::string body;
  if (req.method == "GET" || req.method == "HEAD") {
    body = absl::StrCat("<a href=\"", url, "\">Moved Permanently</a>.\n\n");
  }
  resp->Reply(301, "text/html; charset=utf-8", std::move(body), {{"Location", url}});
}

}  // namespace

bool AllowMethod(const std::string& method, const std::vector<std::string>& allowed,
                 http::Responder* resp) {
  for (const std::string& m : allowed) {
    if (m == method) return true;
  }
  resp->Reply(405, "text/plain; charset=utf-8", "Method Not Allowed\n",
              {{"Allow", absl::StrJoin(allowed, ",")}, {"X-Content-Type-Options", "nosniff"}});
  return false;
}

V2Http::V2Http(V2View view)
    : v_(std::move(view)),
      auth_(std::make_unique<AuthStore>(
          [this](internalpb::V2Request r) { return AuthDo(std::move(r)); },
          auth::kDefaultBcryptCost)) {}

std::string V2Http::ClusterId() const { return absl::StrCat(absl::Hex(v_.cluster_id)); }

void V2Http::Handle(http::Request req, std::shared_ptr<http::Responder> resp) {
  std::optional<std::string> decoded = PathUnescape(req.path);
  if (!decoded.has_value()) {
    resp->Reply(400, "text/plain; charset=utf-8", "400 Bad Request");
    return;
  }
  const std::string& path = *decoded;
  if (const std::string clean = CleanUrlPath(path); clean != path) {
    Redirect(req, clean, resp.get());
    return;
  }
  if (path == "/v2/keys" || path.starts_with("/v2/keys/")) {
    Keys(req, path, std::move(resp));
  } else if (path == kMembersPrefix || path.starts_with("/v2/members/")) {
    const bool change = req.method == "POST" || req.method == "PUT" || req.method == "DELETE";
    if (change && AuthEnabled()) {
      // etcd's hasWriteRootAccess: member changes need the root role under auth.
      http::Responder* r = resp.get();
      RunOnAuthWorker(
          [this, req, path, resp] {
            if (!IsRoot(req)) return ReplyNoAuth(resp.get());
            Members(req, path, resp.get());
          },
          r);
      return;
    }
    Members(req, path, resp.get());
  } else if (path == "/v2/machines") {
    Machines(req, resp.get());
  } else if (path.starts_with(kStatsPrefix)) {
    Stats(req, path.substr(kStatsPrefix.size()), resp.get());
  } else if (path.starts_with("/v2/auth/")) {
    Auth(req, path, std::move(resp));
  } else {
    NotFound(resp.get());
  }
}

// etcd's membersHandler, GET only: member changes go through the v3 Cluster API
// (docs/compatibility.md).
void V2Http::Members(const http::Request& req, const std::string& path, http::Responder* resp) {
  if (!AllowMethod(req.method, {"GET", "POST", "DELETE", "PUT"}, resp)) return;
  http::Headers h = {{"X-Etcd-Cluster-ID", ClusterId()}};
  auto http_error = [&](int status, std::string_view message) {
    std::string body = "{\"message\":";
    AppendGoJsonQuote(message, &body);
    resp->Reply(status, "application/json", body + "}", h);
  };
  if (req.method != "GET") {
    http_error(501,
               "etcdpp: member changes through /v2/members are not supported; use the v3 "
               "Cluster API (etcdctl member)");
    return;
  }
  std::string rest = path.substr(kMembersPrefix.size());
  if (rest.starts_with("/")) rest.erase(0, 1);
  if (rest.empty()) {
    std::string out = "{\"members\":[";
    std::vector<Member> ms = v_.members();
    for (size_t i = 0; i < ms.size(); ++i) {
      if (i > 0) out += ',';
      out += MemberJson(ms[i]);
    }
    resp->Reply(200, "application/json", out + "]}\n", h);
    return;
  }
  if (rest == "leader") {
    const uint64_t id = v_.leader();
    for (const Member& m : v_.members()) {
      if (id != 0 && m.id == id) {
        resp->Reply(200, "application/json", MemberJson(m) + "\n", h);
        return;
      }
    }
    http_error(503, "During election");
    return;
  }
  http_error(404, "Not found");
}

void V2Http::Machines(const http::Request& req, http::Responder* resp) {
  if (!AllowMethod(req.method, {"GET", "HEAD"}, resp)) return;
  std::vector<std::string> urls;
  for (const Member& m : v_.members())
    urls.insert(urls.end(), m.client_urls.begin(), m.client_urls.end());
  std::sort(urls.begin(), urls.end());
  resp->Reply(200, "text/plain; charset=utf-8",
              req.method == "HEAD" ? "" : absl::StrJoin(urls, ", "));
}

void V2Http::Stats(const http::Request& req, const std::string& which, http::Responder* resp) {
  if (which != "store" && which != "self" && which != "leader") {
    NotFound(resp);
    return;
  }
  if (!AllowMethod(req.method, {"GET"}, resp)) return;
  std::string body;
  if (which == "store") {
    body = v_.store->With([](v2store::Store* s) { return s->StatsJson(); });
  } else if (which == "self") {
    body = v_.self_stats();
  } else {
    body = v_.leader_stats();
    if (body.empty()) {
      resp->Reply(403, "application/json", "{\"message\":\"not current leader\"}");
      return;
    }
  }
  resp->Reply(200, "application/json", std::move(body));
}

}  // namespace etcdpp::server::v2http
