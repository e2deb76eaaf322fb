// /v2/keys: etcd 3.4's keysHandler (api/v2http/client.go) on the member's v2 store.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/go_text.h"
#include "server/v2http/v2_http.h"
#include "server/v2store/node.h"

namespace etcdpp::server::v2http {
namespace {

using v2store::Error;

constexpr std::string_view kKeysPrefix = "/v2/keys";
// etcd's defaultWatchTimeout; V2Store::Poll runs the watches' pollers often enough to see it.
constexpr absl::Duration kWatchTimeout = absl::Minutes(5);

Error RequestError(int code, std::string cause) { return Error{code, std::move(cause), 0}; }

// Reads a Go-style boolean parameter if present (false when absent).
bool ReadBool(const Form& f, const std::string& key, bool* out) {
  auto it = f.find(key);
  if (it == f.end()) return true;
  absl::StatusOr<bool> b = GoParseBool(it->second.empty() ? "" : it->second[0]);
  if (!b.ok()) return false;
  *out = *b;
  return true;
}

bool ReadUint(const Form& f, const std::string& key, uint64_t* out) {
  auto it = f.find(key);
  if (it == f.end()) return true;
  absl::StatusOr<uint64_t> v = GoParseUint(it->second.empty() ? "" : it->second[0], 10);
  if (!v.ok()) return false;
  *out = *v;
  return true;
}

// etcd's parseKeyRequest, check for check in its order.
v2store::Result<KeyRequest> ParseKeyRequest(const http::Request& req, const std::string& path) {
  Form f;
  if (absl::Status st = ParseRequestForm(req, &f); !st.ok()) {
    return RequestError(v2store::kEcodeInvalidForm, std::string(st.message()));
  }
  KeyRequest k;
  internalpb::V2Request& r = k.r;
  uint64_t prev_index = 0;
  if (!ReadUint(f, "prevIndex", &prev_index))
    return RequestError(v2store::kEcodeIndexNaN, "invalid value for \"prevIndex\"");
  if (!ReadUint(f, "waitIndex", &k.since))
    return RequestError(v2store::kEcodeIndexNaN, "invalid value for \"waitIndex\"");
  bool recursive = false, sorted = false, dir = false;
  for (auto [name, out] : std::vector<std::pair<const char*, bool*>>{{"recursive", &recursive},
                                                                     {"sorted", &sorted},
                                                                     {"wait", &k.wait},
                                                                     {"dir", &dir},
                                                                     {"quorum", &k.quorum},
                                                                     {"stream", &k.stream}}) {
    if (!ReadBool(f, name, out)) {
      return RequestError(v2store::kEcodeInvalidField,
                          absl::StrCat("invalid value for \"", name, "\""));
    }
  }
  if (k.wait && req.method != "GET") {
    return RequestError(v2store::kEcodeInvalidField, "\"wait\" can only be used with GET requests");
  }
  const std::string prev_value = FormValue(f, "prevValue");
  if (Has(f, "prevValue") && prev_value.empty())
    return RequestError(v2store::kEcodePrevValueRequired, "\"prevValue\" cannot be empty");
  if (!ReadBool(f, "noValueOnSuccess", &k.no_value))
    return RequestError(v2store::kEcodeInvalidField, "invalid value for \"noValueOnSuccess\"");
  std::optional<uint64_t> ttl;
  if (!FormValue(f, "ttl").empty()) {
    uint64_t t = 0;
    if (!ReadUint(f, "ttl", &t))
      return RequestError(v2store::kEcodeTTLNaN, "invalid value for \"ttl\"");
    ttl = t;
  }
  if (Has(f, "prevExist")) {
    bool pe = false;
    if (!ReadBool(f, "prevExist", &pe))
      return RequestError(v2store::kEcodeInvalidField, "invalid value for prevExist");
    r.set_prev_exist(pe);
  }
  if (Has(f, "refresh")) {
    bool refresh = false;
    if (!ReadBool(f, "refresh", &refresh))
      return RequestError(v2store::kEcodeInvalidField, "invalid value for refresh");
    if (refresh && Has(f, "value") && !FormValue(f, "value").empty())
      return RequestError(v2store::kEcodeRefreshValue, "A value was provided on a refresh");
    if (refresh && !ttl.has_value())
      return RequestError(v2store::kEcodeRefreshTTLRequired, "No TTL value set");
    r.set_refresh(refresh);
  }
  r.set_method(req.method);
  r.set_path(
      v2store::CleanPath(std::string(kV2KeysPrefix) + "/" + path.substr(kKeysPrefix.size())));
  r.set_val(FormValue(f, "value"));
  r.set_dir(dir);
  r.set_prev_value(prev_value);
  r.set_prev_index(prev_index);
  r.set_recursive(recursive);
  r.set_sorted(sorted);
  if (ttl.has_value()) {
    // Go's time.Duration(ttl) * time.Second, wrapping as Go's does for absurd TTLs.
    const int64_t ns = static_cast<int64_t>(*ttl * 1000000000ull);
    r.set_expiration(absl::ToUnixNanos(absl::Now()) + ns);
  }
  return k;
}

}  // namespace

void V2Http::Keys(const http::Request& req, const std::string& path,
                  std::shared_ptr<http::Responder> resp) {
  if (!AllowMethod(req.method, {"HEAD", "GET", "PUT", "POST", "DELETE"}, resp.get())) return;
  v2store::Result<KeyRequest> parsed = ParseKeyRequest(req, path);
  if (!parsed.ok()) {
    Answer(RenderV2Result(parsed.error()), false, false, resp.get());
    return;
  }
  if (AuthEnabled()) {
    // etcd's hasKeyPrefixAccess judges the path after /v2/keys, as requested.
    RunOnAuthWorker(
        [this, req, path, k = std::move(parsed.value()), resp]() mutable {
          if (!HasKeyPrefixAccess(req, path.substr(kKeysPrefix.size()), k.r.recursive())) {
            Error e{v2store::kEcodeUnauthorized, "Insufficient credentials", 0};
            return Answer(RenderV2Result(e), false, false, resp.get());
          }
          ServeKey(req, std::move(k), std::move(resp));
        },
        resp.get());
    return;
  }
  ServeKey(req, std::move(parsed.value()), std::move(resp));
}

void V2Http::ServeKey(const http::Request& req, KeyRequest k,
                      std::shared_ptr<http::Responder> resp) {
  const bool head = req.method == "HEAD";
  if (req.method == "GET" && k.quorum) k.r.set_method("QGET");
  if (k.r.method() == "GET" && k.wait) {
    Watch(k.r, k.since, k.stream, std::move(resp));
    return;
  }
  if (k.r.method() == "GET" || head) {
    const internalpb::V2Response r = v_.store->With([&](v2store::Store* s) {
      return RenderV2Result(s->Get(k.r.path(), k.r.recursive(), k.r.sorted(), absl::Now()));
    });
    Answer(r, false, head, resp.get());
    return;
  }
  const bool no_value = k.no_value;
  v_.propose(std::move(k.r), [this, no_value, resp](absl::StatusOr<internalpb::V2Response> r) {
    if (!r.ok()) {
      // etcd's writeKeyError for an error that is not a v2 one: 300 with its text.
      Error e{v2store::kEcodeRaftInternal, std::string(r.status().message()), 0};
      Answer(RenderV2Result(e), false, false, resp.get());
      return;
    }
    Answer(*r, no_value, false, resp.get());
  });
}

void V2Http::Answer(const internalpb::V2Response& r, bool no_value, bool head,
                    http::Responder* resp) const {
  http::Headers h = {{"X-Etcd-Cluster-ID", ClusterId()},
                     {"X-Etcd-Index", absl::StrCat(r.etcd_index())}};
  std::string body = r.json() + "\n";
  if (!r.action().empty()) {
    h.push_back({"X-Raft-Index", absl::StrCat(v_.commit_index())});
    h.push_back({"X-Raft-Term", absl::StrCat(v_.term())});
    const std::string& a = r.action();
    if (no_value && (a == v2store::kActionSet || a == v2store::kActionCompareAndSwap ||
                     a == v2store::kActionCreate || a == v2store::kActionUpdate)) {
      body = absl::StrCat("{\"action\":\"", a, "\"}\n");
    }
  }
  if (head) body.clear();
  resp->Reply(r.http_status(), "application/json", std::move(body), h);
}

// etcd's handleKeyWatch: the headers at once, then each event as a JSON line; a one-shot watch
// ends after its event, a stream goes on until the client leaves or the watcher is dropped.
void V2Http::Watch(const internalpb::V2Request& r, uint64_t since, bool stream,
                   std::shared_ptr<http::Responder> resp) {
  struct Session {
    std::unique_ptr<v2store::Watcher> watcher;  // touched under the store's lock only
    std::shared_ptr<http::Responder> resp;
    bool stream = false;
    absl::Time deadline;  // etcd's defaultWatchTimeout: the answer ends then, event or not
  };
  auto session = std::make_shared<Session>();
  session->resp = resp;
  session->deadline = absl::Now() + kWatchTimeout;
  session->stream = stream;
  std::optional<internalpb::V2Response> failed = v_.store->With([&](v2store::Store* s) {
    auto w = s->Watch(r.path(), r.recursive(), stream, since);
    if (!w.ok()) return std::optional<internalpb::V2Response>(RenderV2Result(w.error()));
    session->watcher = std::move(w).value();
    return std::optional<internalpb::V2Response>();
  });
  if (failed.has_value()) {
    Answer(*failed, false, false, resp.get());
    return;
  }
  resp->StartStream(200, "application/json",
                    {{"X-Etcd-Cluster-ID", ClusterId()},
                     {"X-Etcd-Index", absl::StrCat(session->watcher->start_index())},
                     {"X-Raft-Index", absl::StrCat(v_.commit_index())},
                     {"X-Raft-Term", absl::StrCat(v_.term())}});
  V2Store* store = v_.store;
  resp->OnGone([store] { store->Poll(); });
  store->AddPoller([session](v2store::Store*) {
    v2store::Watcher* w = session->watcher.get();
    if (session->resp->gone()) {
      session->watcher.reset();
      return false;
    }
    if (absl::Now() >= session->deadline) {
      session->resp->Finish();
      session->watcher.reset();
      return false;
    }
    bool wrote = false;
    while (std::optional<v2store::Event> e = w->Next()) {
      session->resp->Write(V2EventJson(*std::move(e)) + "\n");
      wrote = true;
      if (!session->stream) break;
    }
    if (!(wrote && !session->stream) && !(w->closed() && !w->has_events())) return true;
    session->resp->Finish();
    session->watcher.reset();
    return false;
  });
}

}  // namespace etcdpp::server::v2http
