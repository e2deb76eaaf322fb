#include "v2/ctl.h"

#include <signal.h>
#include <unistd.h>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "command.h"
#include "common/dns_srv.h"
#include "common/go_text.h"
#include "common/json_text.h"
#include "password_prompt.h"
#include "srv_discovery.h"
#include "v2/cli.h"
#include "v2/http_client.h"
#include "v2/keys_format.h"

namespace etcdpp::etcdctl::v2 {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// ctlv2/command/error.go.
constexpr int kExitBadArgs = 1;
constexpr int kExitBadConnection = 2;
constexpr int kExitServerError = 4;
constexpr int kExitClusterNotHealthy = 5;

// os.Exit from deep inside a command: RunCtlV2 catches it after the output is flushed.
struct ExitNow {
  int code;
};

[[noreturn]] void Exit(int code) { throw ExitNow{code}; }

// handleError: "Error:  <err>" (Println's two spaces), the ClusterError's detail after it.
[[noreturn]] void HandleError(int code, absl::string_view msg, absl::string_view detail = "") {
  std::cout.flush();
  std::cerr << "Error:  " << msg << "\n";
  if (!detail.empty()) std::cerr << detail << "\n";
  Exit(code);
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// --- the client (ctlv2/command/util.go) -------------------------------------------------------

// url.Parse and the "http" default of getEndpoints.
absl::StatusOr<std::string> NormalizeEndpoint(const std::string& ep) {
  if (ep.find("://") != std::string::npos) return ep;
  // Go's getScheme: a scheme is letters first, then letters, digits, '+', '-', '.', up to ':'.
  size_t i = 0;
  while (i < ep.size() &&
         (absl::ascii_isalpha(ep[i]) || (i > 0 && (absl::ascii_isdigit(ep[i]) || ep[i] == '+' ||
                                                   ep[i] == '-' || ep[i] == '.')))) {
    ++i;
  }
  if (i < ep.size() && ep[i] == ':') {
    if (i == 0)
      return absl::InvalidArgumentError(
          absl::StrCat("parse ", GoQuote(ep), ": missing protocol scheme"));
    return ep;  // "scheme:opaque", kept as Go keeps it
  }
  size_t colon = ep.find(':'), slash = ep.find('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon < slash)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parse ", GoQuote(ep), ": first path segment in URL cannot contain colon"));
  }
  return "http://" + ep;
}

std::vector<std::string> PeersFlagValue(Context& c) {
  std::string peers = c.GlobalString("endpoints");
  if (peers.empty()) peers = Getenv("ETCDCTL_ENDPOINTS");
  if (peers.empty()) peers = c.GlobalString("endpoint");
  if (peers.empty()) peers = Getenv("ETCDCTL_ENDPOINT");
  if (peers.empty()) peers = c.GlobalString("peers");
  if (peers.empty()) peers = Getenv("ETCDCTL_PEERS");
  if (peers.empty()) peers = "http://127.0.0.1:2379,http://127.0.0.1:4001";
  return absl::StrSplit(peers, ',');
}

absl::Duration GlobalDuration(Context& c, const std::string& name) {
  return GoParseDuration(c.GlobalString(name)).value_or(absl::ZeroDuration());
}

absl::Time TotalDeadline(Context& c) { return absl::Now() + GlobalDuration(c, "total-timeout"); }

std::string AskPassword(const std::string& prompt);

// What transport.NewTransport checks of the TLS files before any request: the certificate and
// key come together and every file is readable ("open /x: no such file or directory").
std::optional<std::string> TlsFilesError(const HttpOptions& o) {
  if ((!o.cert_file.empty() || !o.key_file.empty()) &&
      (o.cert_file.empty() || o.key_file.empty())) {
    return absl::StrCat("KeyFile and CertFile must both be present[key: ", o.key_file,
                        ", cert: ", o.cert_file, "]");
  }
  for (const std::string* f : {&o.cert_file, &o.key_file, &o.ca_file}) {
    if (f->empty()) continue;
    FILE* fp = std::fopen(f->c_str(), "r");
    if (fp == nullptr) {
      std::string err = std::strerror(errno);
      if (!err.empty()) err[0] = absl::ascii_tolower(err[0]);
      return absl::StrCat("open ", *f, ": ", err);
    }
    std::fclose(fp);
  }
  return std::nullopt;
}

HttpOptions TlsOptions(Context& c) {
  HttpOptions opts;
  opts.ca_file = c.GlobalString("ca-file");
  if (opts.ca_file.empty()) opts.ca_file = Getenv("ETCDCTL_CA_FILE");
  opts.cert_file = c.GlobalString("cert-file");
  if (opts.cert_file.empty()) opts.cert_file = Getenv("ETCDCTL_CERT_FILE");
  opts.key_file = c.GlobalString("key-file");
  if (opts.key_file.empty()) opts.key_file = Getenv("ETCDCTL_KEY_FILE");
  return opts;
}

// newClient: errors are printed as they are (no "Error:") with exit 1.
std::unique_ptr<ClusterClient> NewClient(Context& c) {
  std::string domain = c.GlobalString("discovery-srv");
  if (domain.empty()) domain = Getenv("ETCDCTL_DISCOVERY_SRV");
  bool insecure =
      c.GlobalBool("insecure-discovery") || !Getenv("ETCDCTL_INSECURE_DISCOVERY").empty();
  std::vector<std::string> eps;
  if (!domain.empty()) {
    absl::StatusOr<std::vector<std::string>> found = DiscoverEndpoints(
        domain, Getenv("ETCDCTL_DISCOVERY_SRV_NAME"), insecure, LookupSrv, std::cerr);
    if (!found.ok()) {
      std::cerr << found.status().message() << "\n";
      Exit(1);
    }
    eps = *found;
  }
  if (eps.empty()) eps = PeersFlagValue(c);
  for (std::string& ep : eps) {
    absl::StatusOr<std::string> n = NormalizeEndpoint(ep);
    if (!n.ok()) {
      std::cerr << n.status().message() << "\n";
      Exit(1);
    }
    ep = *n;
  }
  HttpOptions opts = TlsOptions(c);
  if (std::optional<std::string> err = TlsFilesError(opts)) {
    std::cerr << *err << "\n";
    Exit(1);
  }
  absl::Duration total = GlobalDuration(c, "total-timeout");
  if (total != absl::ZeroDuration() && total < opts.dial_timeout) opts.dial_timeout = total;
  opts.header_timeout = GlobalDuration(c, "timeout");
  opts.debug = c.GlobalBool("debug");
  std::string user = c.GlobalString("username");
  if (user.empty()) user = Getenv("ETCDCTL_USERNAME");
  if (!user.empty()) {
    size_t colon = user.find(':');
    if (colon == std::string::npos) {
      opts.username = user;
      opts.password = AskPassword("Password: ");
    } else {
      opts.username = user.substr(0, colon);
      opts.password = user.substr(colon + 1);
    }
  }
  return std::make_unique<ClusterClient>(std::move(eps), std::move(opts));
}

absl::StatusOr<Struct> ParseJson(const std::string& body) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(body, &s).ok()) {
    return absl::InvalidArgumentError("invalid character in JSON body");
  }
  return s;
}

struct Member {
  std::string id, name;
  std::vector<std::string> peer_urls, client_urls;
};

std::vector<std::string> StringList(const Struct& s, const char* name) {
  std::vector<std::string> out;
  auto it = s.fields().find(name);
  if (it == s.fields().end() || it->second.kind_case() != Value::kListValue) return out;
  for (const Value& v : it->second.list_value().values()) out.push_back(v.string_value());
  return out;
}

std::string StringField(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? "" : it->second.string_value();
}

Member ToMember(const Struct& s) {
  return Member{StringField(s, "id"), StringField(s, "name"), StringList(s, "peerURLs"),
                StringList(s, "clientURLs")};
}

// The error of a request that found no endpoint, with its ClusterError detail.
struct CallError {
  std::string msg, detail;
  bool connection = false;
};

// MembersAPI.List.
absl::StatusOr<std::vector<Member>> ListMembers(ClusterClient& cl, absl::Time deadline,
                                                CallError* err) {
  HttpRequest req{"GET", "/v2/members"};
  absl::StatusOr<HttpResponse> r = cl.Do(req, deadline, &err->detail);
  if (!r.ok()) {
    err->msg = std::string(r.status().message());
    err->connection = cl.last_connection_error();
    return r.status();
  }
  if (r->status != 200) {
    err->msg = absl::StrCat("unexpected status code ", r->status);
    return absl::UnknownError(err->msg);
  }
  absl::StatusOr<Struct> s = ParseJson(r->body);
  if (!s.ok()) {
    err->msg = std::string(s.status().message());
    return s.status();
  }
  std::vector<Member> out;
  auto it = s->fields().find("members");
  if (it != s->fields().end() && it->second.kind_case() == Value::kListValue) {
    for (const Value& v : it->second.list_value().values())
      out.push_back(ToMember(v.struct_value()));
  }
  return out;
}

// mustNewClient: the client, synchronized with the cluster's member list unless --no-sync.
std::unique_ptr<ClusterClient> MustNewClient(Context& c) {
  std::unique_ptr<ClusterClient> cl = NewClient(c);
  bool debug = c.GlobalBool("debug");
  if (!c.GlobalBool("no-sync")) {
    if (debug) {
      std::cerr << "start to sync cluster using endpoints(" << absl::StrJoin(cl->endpoints(), ",")
                << ")\n";
    }
    CallError err;
    absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, TotalDeadline(c), &err);
    if (ms.ok()) {
      std::vector<std::string> eps;
      for (const Member& m : *ms) eps.insert(eps.end(), m.client_urls.begin(), m.client_urls.end());
      if (eps.empty()) {
        std::cerr << "etcd cluster has no published client endpoints.\n"
                  << "Try '--no-sync' if you want to access non-published client endpoints("
                  << absl::StrJoin(cl->endpoints(), ",") << ").\n";
        HandleError(kExitServerError, "client: no endpoints available");
      }
      if (eps != cl->endpoints()) cl->SetEndpoints(eps);
    } else if (err.connection) {
      HandleError(kExitBadConnection, err.msg, err.detail);
    }
    if (debug) {
      std::cerr << "got endpoints(" << absl::StrJoin(cl->endpoints(), ",") << ") after sync\n";
    }
  }
  if (debug) std::cerr << "Cluster-Endpoints: " << absl::StrJoin(cl->endpoints(), ", ") << "\n";
  return cl;
}

std::unique_ptr<ClusterClient> MustNewClientNoSync(Context& c) {
  std::unique_ptr<ClusterClient> cl = NewClient(c);
  if (c.GlobalBool("debug")) {
    std::cerr << "Cluster-Endpoints: " << absl::StrJoin(cl->endpoints(), ", ") << "\n";
  }
  return cl;
}

// --- the keys API (go.etcd.io/etcd/client/keys.go) ---------------------------------------------

using Params = std::vector<std::pair<std::string, std::string>>;

// url.Values.Encode: sorted by key.
std::string Encode(Params p) {
  std::stable_sort(p.begin(), p.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> parts;
  for (const auto& [k, v] : p) parts.push_back(QueryEscape(k) + "=" + QueryEscape(v));
  return absl::StrJoin(parts, "&");
}

HttpRequest KeysRequest(std::string method, const std::string& key, const Params& query) {
  HttpRequest req;
  req.method = std::move(method);
  std::string k = key;
  if (!k.empty() && k[0] != '/') k = "/" + k;
  req.path = PathEscape(CanonicalUrlPath("/v2/keys" + k));
  req.query = Encode(query);
  return req;
}

void SetForm(HttpRequest* req, const Params& form) {
  req->form = Encode(form);
  req->has_form = true;
}

// One keys call; every failure ends the command with handleError(ExitServerError).
Response KeysCall(ClusterClient& cl, const HttpRequest& req, absl::Time deadline) {
  for (;;) {
    std::string detail;
    absl::StatusOr<HttpResponse> r = cl.Do(req, deadline, &detail);
    if (!r.ok()) HandleError(kExitServerError, r.status().message(), detail);
    if (r->status == 200 || r->status == 201) {
      if (r->body.empty()) {
        if (req.wait) continue;  // the watcher asks again
        HandleError(kExitServerError, "client: response body is empty");
      }
      auto it = r->headers.find("x-etcd-index");
      absl::StatusOr<Response> resp =
          ParseResponse(r->body, it == r->headers.end() ? "" : it->second);
      if (!resp.ok()) HandleError(kExitServerError, resp.status().message());
      return *resp;
    }
    absl::StatusOr<KeysError> e = ParseKeysError(r->body);
    if (!e.ok()) HandleError(kExitServerError, e.status().message());
    HandleError(kExitServerError, e->Text());
  }
}

void Print(const std::string& s) { std::cout << s << std::flush; }

void PrintResponseKey(Context& c, const Response& resp) {
  std::string format = c.GlobalString("output");
  std::optional<std::string> text = FormatResponse(resp, format);
  if (text) {
    Print(*text);
  } else {
    std::cerr << "Unsupported output format: " << format << "\n";
  }
}

std::string KeyArg(Context& c) {
  if (c.Args().empty()) HandleError(kExitBadArgs, "key required");
  return c.Args()[0];
}

// argOrStdin.
std::string ValueArg(Context& c) {
  if (c.Args().size() > 1) return c.Args()[1];
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (in.empty()) HandleError(kExitBadArgs, "value required");
  return in;
}

void AddTtl(Context& c, Params* form) {
  int64_t ttl = c.Int("ttl");
  if (ttl > 0) form->emplace_back("ttl", absl::StrCat(ttl));
}

int GetCommand(Context& c) {
  std::string key = KeyArg(c);
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  Params q{{"recursive", "false"},
           {"sorted", c.Bool("sort") ? "true" : "false"},
           {"quorum", c.Bool("quorum") ? "true" : "false"}};
  Response resp = KeysCall(*cl, KeysRequest("GET", key, q), TotalDeadline(c));
  if (resp.node && resp.node->dir) {
    std::cerr << resp.node->key << ": is a directory\n";
    return 1;
  }
  PrintResponseKey(c, resp);
  return 0;
}

int LsCommand(Context& c) {
  std::string key = c.Args().empty() ? "/" : c.Args()[0];
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  Params q{{"recursive", c.Bool("recursive") ? "true" : "false"},
           {"sorted", c.Bool("sort") ? "true" : "false"},
           {"quorum", c.Bool("quorum") ? "true" : "false"}};
  Response resp = KeysCall(*cl, KeysRequest("GET", key, q), TotalDeadline(c));
  if (c.GlobalString("output") == "simple") {
    Print(FormatLs(resp, c.Bool("p")));
  } else {
    PrintResponseKey(c, resp);
  }
  return 0;
}

// setAction: query prevValue/prevIndex/prevExist/dir, form value/ttl.
Response SetCall(Context& c, const std::string& key, const std::string& value, bool dir,
                 const std::string& prev_exist, const std::string& prev_value, int64_t prev_index) {
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  Params q, form;
  if (dir) {
    q.emplace_back("dir", "true");
  } else {
    if (!prev_value.empty()) q.emplace_back("prevValue", prev_value);
    form.emplace_back("value", value);
  }
  if (prev_index != 0) q.emplace_back("prevIndex", absl::StrCat(static_cast<uint64_t>(prev_index)));
  if (!prev_exist.empty()) q.emplace_back("prevExist", prev_exist);
  AddTtl(c, &form);
  HttpRequest req = KeysRequest("PUT", key, q);
  SetForm(&req, form);
  return KeysCall(*cl, req, TotalDeadline(c));
}

int SetCommand(Context& c) {
  std::string key = KeyArg(c);
  std::string value = ValueArg(c);
  Response resp =
      SetCall(c, key, value, false, "", c.String("swap-with-value"), c.Int("swap-with-index"));
  PrintResponseKey(c, resp);
  return 0;
}

int MkCommand(Context& c) {
  std::string key = KeyArg(c);
  std::string value = ValueArg(c);
  if (!c.Bool("in-order")) {
    PrintResponseKey(c, SetCall(c, key, value, false, "false", "", 0));
    return 0;
  }
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  Params form{{"value", value}};
  AddTtl(c, &form);
  HttpRequest req = KeysRequest("POST", key, {});
  SetForm(&req, form);
  PrintResponseKey(c, KeysCall(*cl, req, TotalDeadline(c)));
  return 0;
}

int UpdateCommand(Context& c) {
  std::string key = KeyArg(c);
  std::string value = ValueArg(c);
  PrintResponseKey(c, SetCall(c, key, value, false, "true", "", 0));
  return 0;
}

Action MkdirAction(std::string prev_exist) {
  return [prev_exist](Context& c) {
    std::string key = KeyArg(c);
    Response resp = SetCall(c, key, "", true, prev_exist, "", 0);
    if (c.GlobalString("output") != "simple") PrintResponseKey(c, resp);
    return 0;
  };
}

int DeleteAndPrint(Context& c, const std::string& key, bool dir, bool recursive,
                   const std::string& prev_value, int64_t prev_index) {
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  Params q;
  if (!prev_value.empty()) q.emplace_back("prevValue", prev_value);
  if (prev_index != 0) q.emplace_back("prevIndex", absl::StrCat(static_cast<uint64_t>(prev_index)));
  if (dir) q.emplace_back("dir", "true");
  if (recursive) q.emplace_back("recursive", "true");
  Response resp = KeysCall(*cl, KeysRequest("DELETE", key, q), TotalDeadline(c));
  if (!(resp.node && resp.node->dir) || c.GlobalString("output") != "simple") {
    PrintResponseKey(c, resp);
  }
  return 0;
}

int RmCommand(Context& c) {
  std::string key = KeyArg(c);
  return DeleteAndPrint(c, key, c.Bool("dir"), c.Bool("recursive"), c.String("with-value"),
                        c.Int("with-index"));
}

int RmdirCommand(Context& c) {
  std::string key = KeyArg(c);
  return DeleteAndPrint(c, key, true, false, "", 0);
}

void ExitOnInterrupt() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { _exit(0); };
  sigaction(SIGINT, &sa, nullptr);
}

// The watcher: waitIndex is after-index + 1 (when given), then the last event's index + 1.
HttpRequest WaitRequest(const std::string& key, uint64_t wait_index, bool recursive) {
  HttpRequest req = KeysRequest("GET", key,
                                {{"wait", "true"},
                                 {"waitIndex", absl::StrCat(wait_index)},
                                 {"recursive", recursive ? "true" : "false"}});
  req.wait = true;
  return req;
}

int WatchCommand(Context& c) {
  std::string key = KeyArg(c);
  bool recursive = c.Bool("recursive");
  bool forever = c.Bool("forever");
  int64_t after = c.Int("after-index");
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  ExitOnInterrupt();
  uint64_t wait_index = after > 0 ? static_cast<uint64_t>(after) + 1 : 0;
  for (;;) {
    Response resp = KeysCall(*cl, WaitRequest(key, wait_index, recursive), absl::InfiniteFuture());
    if (resp.node) wait_index = resp.node->modified_index + 1;
    if (resp.node && resp.node->dir) continue;
    if (recursive)
      Print(absl::StrCat("[", resp.action, "] ", resp.node ? resp.node->key : "", "\n"));
    PrintResponseKey(c, resp);
    if (!forever) return 0;
  }
}

// exec.LookPath's error for a command that cannot be run.
std::optional<std::string> LookPathError(const std::string& file) {
  if (file.find('/') != std::string::npos) {
    if (access(file.c_str(), X_OK) == 0) return std::nullopt;
    return absl::StrCat("fork/exec ", file, ": no such file or directory");
  }
  for (absl::string_view dir : absl::StrSplit(Getenv("PATH"), ':')) {
    std::string p = absl::StrCat(dir.empty() ? "." : dir, "/", file);
    if (access(p.c_str(), X_OK) == 0) return std::nullopt;
  }
  return absl::StrCat("exec: ", GoQuote(file), ": executable file not found in $PATH");
}

int ExecWatchCommand(Context& c) {
  const std::vector<std::string>& args = c.Args();
  if (args.size() < 2) HandleError(kExitBadArgs, "key and command to exec required");
  std::string key;
  std::vector<std::string> cmd;
  bool found_sep = false;
  for (size_t i = 1; i < args.size(); ++i) found_sep = found_sep || args[i] == "--";
  if (found_sep) {
    key = args[0];
    cmd.assign(args.begin() + 2, args.end());
  } else {
    key = args.back();
    cmd.assign(args.begin(), args.end() - 1);
  }
  int64_t after = c.Int("after-index");
  bool recursive = c.Bool("recursive");
  ExitOnInterrupt();
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  signal(SIGCHLD, SIG_IGN);  // children are not waited for (Go waits in a goroutine)
  uint64_t wait_index = after > 0 ? static_cast<uint64_t>(after) + 1 : 0;
  for (;;) {
    Response resp = KeysCall(*cl, WaitRequest(key, wait_index, recursive), absl::InfiniteFuture());
    if (resp.node) wait_index = resp.node->modified_index + 1;
    const Node node = resp.node.value_or(Node{});
    if (node.dir) {
      std::cerr << "Ignored dir " << node.key << " change\n";
      continue;
    }
    if (cmd.empty()) {
      std::cerr << "exec: no command";
      Exit(1);
    }
    if (std::optional<std::string> err = LookPathError(cmd[0])) {
      std::cout.flush();
      std::cerr << *err;
      Exit(1);
    }
    std::cout.flush();
    pid_t pid = fork();
    if (pid == 0) {
      setenv("ETCD_WATCH_ACTION", resp.action.c_str(), 1);
      setenv("ETCD_WATCH_MODIFIED_INDEX", absl::StrCat(node.modified_index).c_str(), 1);
      setenv("ETCD_WATCH_KEY", node.key.c_str(), 1);
      setenv("ETCD_WATCH_VALUE", node.value.c_str(), 1);
      signal(SIGCHLD, SIG_DFL);
      std::vector<char*> argv;
      for (std::string& a : cmd) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
  }
}

// --- members (client/members.go, ctlv2/command/member_commands.go) ----------------------------

[[noreturn]] void PrintAndExit(const std::string& msg) {
  std::cout.flush();
  std::cerr << msg << "\n";
  Exit(1);
}

int MemberList(Context& c) {
  if (!c.Args().empty()) PrintAndExit("No arguments accepted");
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  absl::Time deadline = TotalDeadline(c);
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, deadline, &err);
  if (!ms.ok()) PrintAndExit(err.msg);
  std::string detail;
  absl::StatusOr<HttpResponse> r =
      cl->Do(HttpRequest{"GET", "/v2/members/leader"}, deadline, &detail);
  std::string leader_id;
  if (!r.ok()) PrintAndExit(absl::StrCat("Failed to get leader:  ", r.status().message()));
  if (r->status != 200)
    PrintAndExit(absl::StrCat("Failed to get leader:  unexpected status code ", r->status));
  absl::StatusOr<Struct> leader = ParseJson(r->body);
  if (!leader.ok())
    PrintAndExit(absl::StrCat("Failed to get leader:  ", leader.status().message()));
  leader_id = StringField(*leader, "id");
  for (const Member& m : *ms) {
    if (m.name.empty()) {
      Print(absl::StrCat(m.id, "[unstarted]: peerURLs=", absl::StrJoin(m.peer_urls, ","), "\n"));
    } else {
      Print(absl::StrCat(m.id, ": name=", m.name, " peerURLs=", absl::StrJoin(m.peer_urls, ","),
                         " clientURLs=", absl::StrJoin(m.client_urls, ","),
                         " isLeader=", m.id == leader_id ? "true" : "false", "\n"));
    }
  }
  return 0;
}

// types.NewURLs's checks of one peer URL.
absl::Status CheckPeerUrl(const std::string& u) {
  size_t sep = u.find("://");
  std::string scheme = sep == std::string::npos ? "" : u.substr(0, sep);
  if (scheme != "http" && scheme != "https" && scheme != "unix" && scheme != "unixs") {
    return absl::InvalidArgumentError(
        absl::StrCat("URL scheme must be http, https, unix, or unixs: ", u));
  }
  std::string rest = u.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string host = rest.substr(0, slash);
  size_t colon = host.rfind(':');
  if (colon == std::string::npos || colon + 1 == host.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL address does not have the form \"host:port\": ", u));
  }
  if (slash != std::string::npos && slash + 1 < rest.size()) {
    return absl::InvalidArgumentError(absl::StrCat("URL must not contain a path: ", u));
  }
  return absl::OkStatus();
}

std::string PeerUrlsBody(const std::vector<std::string>& urls) {
  std::vector<std::string> quoted;
  for (const std::string& u : urls) {
    std::string q;
    AppendGoJsonQuote(u, &q);
    quoted.push_back(q);
  }
  return absl::StrCat("{\"peerURLs\":[", absl::StrJoin(quoted, ","), "]}");
}

// A members call answered with a membersError body ({"message":...}) or an unexpected status.
std::string MembersError(const HttpResponse& r, std::initializer_list<long> error_codes) {
  for (long code : error_codes) {
    if (r.status == code) {
      absl::StatusOr<Struct> s = ParseJson(r.body);
      return s.ok() ? StringField(*s, "message") : std::string(s.status().message());
    }
  }
  return absl::StrCat("unexpected status code ", r.status);
}

int MemberAdd(Context& c) {
  if (c.Args().size() != 2) PrintAndExit("Provide a name and a single member peerURL");
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  const std::string& name = c.Args()[0];
  const std::string& url = c.Args()[1];
  absl::Time deadline = TotalDeadline(c);
  if (absl::Status s = CheckPeerUrl(url); !s.ok()) PrintAndExit(std::string(s.message()));
  HttpRequest req{"POST", "/v2/members"};
  req.json = true;
  req.form = PeerUrlsBody({url});
  std::string detail;
  absl::StatusOr<HttpResponse> r = cl->Do(req, deadline, &detail);
  if (!r.ok()) PrintAndExit(std::string(r.status().message()));
  if (r->status != 201) PrintAndExit(MembersError(*r, {409}));
  absl::StatusOr<Struct> added = ParseJson(r->body);
  if (!added.ok()) PrintAndExit(std::string(added.status().message()));
  std::string new_id = StringField(*added, "id");
  Print(absl::StrCat("Added member named ", name, " with ID ", new_id, " to cluster\n"));
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, deadline, &err);
  if (!ms.ok()) PrintAndExit(err.msg);
  std::vector<std::string> conf;
  for (const Member& m : *ms) {
    for (const std::string& u : m.peer_urls) {
      conf.push_back(absl::StrCat(m.id == new_id ? name : m.name, "=", u));
    }
  }
  Print(absl::StrCat("\nETCD_NAME=", GoQuote(name),
                     "\nETCD_INITIAL_CLUSTER=", GoQuote(absl::StrJoin(conf, ",")),
                     "\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n"));
  return 0;
}

int MemberRemove(Context& c) {
  if (c.Args().size() != 1) PrintAndExit("Provide a single member ID");
  const std::string& id = c.Args()[0];
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  absl::Time deadline = TotalDeadline(c);
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, deadline, &err);
  if (!ms.ok()) PrintAndExit("Error while verifying ID against known members: " + err.msg);
  bool found = false;
  for (const Member& m : *ms) {
    if (m.id == id) found = true;
    if (m.name == id) {
      std::cerr << "Found a member named " << m.name
                << "; if this is correct, please use its ID, eg:\n\tetcdctl member remove " << m.id
                << "\n"
                << "For more details, read the documentation at "
                   "https://github.com/etcd-io/etcd/blob/master/Documentation/"
                   "runtime-configuration.md#remove-a-member\n\n";
    }
  }
  if (!found) {
    std::cerr << "Couldn't find a member in the cluster with an ID of " << id << ".\n";
    Exit(1);
  }
  std::string detail;
  absl::StatusOr<HttpResponse> r =
      cl->Do(HttpRequest{"DELETE", "/v2/members/" + PathEscape(id)}, deadline, &detail);
  std::string failure;
  if (!r.ok()) {
    failure = std::string(r.status().message());
  } else if (r->status != 204 && r->status != 410) {
    failure = absl::StrCat("unexpected status code ", r->status);
  }
  if (!failure.empty()) {
    std::cerr << "Received an error trying to remove member " << id << ": " << failure;
    Exit(1);
  }
  Print(absl::StrCat("Removed member ", id, " from cluster\n"));
  return 0;
}

int MemberUpdate(Context& c) {
  if (c.Args().size() != 2) {
    PrintAndExit(
        "Provide an ID and a list of comma separated peerURL (0xabcd "
        "http://example.com,http://example1.com)");
  }
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  const std::string& id = c.Args()[0];
  std::vector<std::string> urls = absl::StrSplit(c.Args()[1], ',');
  for (const std::string& u : urls) {
    if (absl::Status s = CheckPeerUrl(u); !s.ok()) PrintAndExit(std::string(s.message()));
  }
  HttpRequest req{"PUT", "/v2/members/" + PathEscape(id)};
  req.json = true;
  req.form = PeerUrlsBody(urls);
  std::string detail;
  absl::StatusOr<HttpResponse> r = cl->Do(req, TotalDeadline(c), &detail);
  if (!r.ok()) PrintAndExit(std::string(r.status().message()));
  if (r->status != 204) PrintAndExit(MembersError(*r, {404, 409}));
  Print(absl::StrCat("Updated member with ID ", id, " in cluster\n"));
  return 0;
}

// --- cluster-health ---------------------------------------------------------------------------

int ClusterHealth(Context& c) {
  bool forever = c.Bool("forever");
  if (forever) ExitOnInterrupt();
  if (std::optional<std::string> err = TlsFilesError(TlsOptions(c))) {
    HandleError(kExitServerError, *err);
  }
  std::unique_ptr<ClusterClient> cl = MustNewClientNoSync(c);
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, absl::InfiniteFuture(), &err);
  if (!ms.ok()) {
    Print("cluster may be unhealthy: failed to list members\n");
    HandleError(kExitServerError, err.msg, err.detail);
  }
  for (;;) {
    size_t healthy = 0;
    for (const Member& m : *ms) {
      if (m.client_urls.empty()) {
        Print(
            absl::StrCat("member ", m.id, " is unreachable: no available published client urls\n"));
        continue;
      }
      bool checked = false;
      for (const std::string& url : m.client_urls) {
        HttpOptions opts = TlsOptions(c);
        opts.header_timeout = absl::ZeroDuration();
        ClusterClient hc({url}, opts);
        std::string detail;
        HttpRequest req{"GET", "/health"};
        req.any_status = true;
        absl::StatusOr<HttpResponse> r = hc.Do(req, absl::Now() + absl::Seconds(30), &detail);
        if (!r.ok()) {
          Print(absl::StrCat(
              "failed to check the health of member ", m.id, " on ", url, ": Get ",
              GoQuote(url + "/health"), ": ",
              hc.last_errors().empty() ? std::string(r.status().message()) : hc.last_errors()[0],
              "\n"));
          continue;
        }
        absl::StatusOr<Struct> s = ParseJson(r->body);
        if (!s.ok()) {
          Print(absl::StrCat(
              "failed to check the health of member ", m.id, " on ", url, ": ",
              r->body.empty() ? "unexpected end of JSON input" : std::string(s.status().message()),
              "\n"));
          continue;
        }
        checked = true;
        bool ok = false;
        for (const auto& [k, v] : s->fields()) {
          if (absl::EqualsIgnoreCase(k, "health")) {
            ok = (v.kind_case() == Value::kStringValue && v.string_value() == "true") ||
                 (v.kind_case() == Value::kBoolValue && v.bool_value());
          }
        }
        if (ok) {
          Print(absl::StrCat("member ", m.id, " is healthy: got healthy result from ", url, "\n"));
          ++healthy;
        } else {
          Print(absl::StrCat("member ", m.id, " is unhealthy: got unhealthy result from ", url,
                             "\n"));
        }
        break;
      }
      if (!checked) {
        Print(absl::StrCat("member ", m.id, " is unreachable: [", absl::StrJoin(m.client_urls, " "),
                           "] are all unreachable\n"));
      }
    }
    if (healthy == ms->size()) {
      Print("cluster is healthy\n");
    } else if (healthy == 0) {
      Print("cluster is unavailable\n");
    } else {
      Print("cluster is degraded\n");
    }
    if (!forever) return healthy == ms->size() ? 0 : kExitClusterNotHealthy;
    Print("\nnext check after 10 second...\n\n");
    absl::SleepFor(absl::Seconds(10));
  }
}

// speakeasy.Ask as the v2 commands use it: the prompt on stdout, the terminal's echo off while
// the line is read (when stdin is one), a newline on stdout after, the line trimmed.
std::string AskPassword(const std::string& prompt) {
  std::cout << prompt << std::flush;
  bool tty = false;
  std::string line = ReadLineWithoutEcho(&tty);
  std::cout << "\n" << std::flush;
  return std::string(absl::StripAsciiWhitespace(line));
}

// --- users, roles, auth (client/auth_user.go, auth_role.go; ctlv2/command/*_commands.go) -------

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

[[noreturn]] void PrintStatusAndExit(const absl::Status& s) {
  PrintAndExit(std::string(s.message()));
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

int UserList(Context& c) {
  if (!c.Args().empty()) PrintAndExit("No arguments accepted");
  std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
  absl::StatusOr<std::string> body =
      AuthCall(*cl, "GET", "/v2/auth/users", "", TotalDeadline(c), {200});
  if (!body.ok()) PrintStatusAndExit(body.status());
  PrintNames(*body, "users", "user");
  return 0;
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

int RoleList(Context& c) {
  if (!c.Args().empty()) PrintAndExit("No arguments accepted");
  std::unique_ptr<ClusterClient> cl = MustNewAuthClient(c);
  absl::StatusOr<std::string> body =
      AuthCall(*cl, "GET", "/v2/auth/roles", "", TotalDeadline(c), {200}, false);
  if (!body.ok()) PrintStatusAndExit(body.status());
  PrintNames(*body, "roles", "role");
  return 0;
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

// --- the commands this etcdctl does not build ---------------------------------------------------

Action Refused(std::string what) {
  return [what](Context&) {
    return Fail(kExitBadFeature,
                absl::StrCat("the v2 command `", what,
                             "` is not supported by this etcdctl; use ETCDCTL_API=3"));
  };
}

std::vector<FlagSpec> TtlFlag() {
  return {{"ttl", FlagKind::kInt, "0", "key time-to-live in seconds"}};
}

CliApp MakeApp() {
  CliApp app;
  app.name = "etcdctl";
  app.usage = "A simple command line client for etcd.";
  app.version = std::string(kCtlVersion);
  app.print_version = [] {
    std::cout << "etcdctl version: " << kCtlVersion << "\nAPI version: 2\n";
  };
  app.flags = {
      {"debug", FlagKind::kBool, "",
       "output cURL commands which can be used to reproduce the request"},
      {"no-sync", FlagKind::kBool, "",
       "don't synchronize cluster information before sending request"},
      {"output, o", FlagKind::kString, "simple",
       "output response in the given format (`simple`, `extended` or `json`)"},
      {"discovery-srv, D", FlagKind::kString, "",
       "domain name to query for SRV records describing cluster endpoints"},
      {"insecure-discovery", FlagKind::kBool, "",
       "accept insecure SRV records describing cluster endpoints"},
      {"peers, C", FlagKind::kString, "", "DEPRECATED - \"--endpoints\" should be used instead"},
      {"endpoint", FlagKind::kString, "", "DEPRECATED - \"--endpoints\" should be used instead"},
      {"endpoints", FlagKind::kString, "",
       "a comma-delimited list of machine addresses in the cluster (default: "
       "\"http://127.0.0.1:2379,http://127.0.0.1:4001\")"},
      {"cert-file", FlagKind::kString, "", "identify HTTPS client using this SSL certificate file"},
      {"key-file", FlagKind::kString, "", "identify HTTPS client using this SSL key file"},
      {"ca-file", FlagKind::kString, "",
       "verify certificates of HTTPS-enabled servers using this CA bundle"},
      {"username, u", FlagKind::kString, "",
       "provide username[:password] and prompt if password is not supplied."},
      {"timeout", FlagKind::kDuration, "2s", "connection timeout per request"},
      {"total-timeout", FlagKind::kDuration, "5s",
       "timeout for the command execution (except watch)"},
  };
  std::vector<CliCommand>& cmds = app.commands;
  cmds.push_back({"backup",
                  "backup an etcd directory",
                  " ",
                  "",
                  {{"data-dir", FlagKind::kString, "", "Path to the etcd data dir"},
                   {"wal-dir", FlagKind::kString, "", "Path to the etcd wal dir"},
                   {"backup-dir", FlagKind::kString, "", "Path to the backup dir"},
                   {"backup-wal-dir", FlagKind::kString, "", "Path to the backup wal dir"},
                   {"with-v3", FlagKind::kBool, "", "Backup v3 backend data"}},
                  Refused("backup"),
                  {}});
  cmds.push_back({"cluster-health",
                  "check the health of the etcd cluster",
                  " ",
                  "",
                  {{"forever, f", FlagKind::kBool, "",
                    "forever check the health every 10 second until CTRL+C"}},
                  ClusterHealth,
                  {}});
  cmds.push_back({"mk",
                  "make a new key with a given value",
                  "<key> <value>",
                  "",
                  {{"in-order", FlagKind::kBool, "", "create in-order key under directory <key>"},
                   TtlFlag()[0]},
                  MkCommand,
                  {}});
  cmds.push_back(
      {"mkdir", "make a new directory", "<key>", "", TtlFlag(), MkdirAction("false"), {}});
  cmds.push_back({"rm",
                  "remove a key or a directory",
                  "<key>",
                  "",
                  {{"dir", FlagKind::kBool, "",
                    "removes the key if it is an empty directory or a key-value pair"},
                   {"recursive, r", FlagKind::kBool, "",
                    "removes the key and all child keys(if it is a directory)"},
                   {"with-value", FlagKind::kString, "", "previous value"},
                   {"with-index", FlagKind::kInt, "0", "previous index"}},
                  RmCommand,
                  {}});
  cmds.push_back({"rmdir",
                  "removes the key if it is an empty directory or a key-value pair",
                  "<key>",
                  "",
                  {},
                  RmdirCommand,
                  {}});
  cmds.push_back({"get",
                  "retrieve the value of a key",
                  "<key>",
                  "",
                  {{"sort", FlagKind::kBool, "", "returns result in sorted order"},
                   {"quorum, q", FlagKind::kBool, "", "require quorum for get request"}},
                  GetCommand,
                  {}});
  cmds.push_back({"ls",
                  "retrieve a directory",
                  "[key]",
                  "",
                  {{"sort", FlagKind::kBool, "", "returns result in sorted order"},
                   {"recursive, r", FlagKind::kBool, "",
                    "returns all key names recursively for the given path"},
                   {"p", FlagKind::kBool, "", "append slash (/) to directories"},
                   {"quorum, q", FlagKind::kBool, "", "require quorum for get request"}},
                  LsCommand,
                  {}});
  cmds.push_back({"set",
                  "set the value of a key",
                  "<key> <value>",
                  "Set sets the value of a key.\n\n   When <value> begins with '-', <value> is "
                  "interpreted as a flag.\n   Insert '--' for workaround:\n\n   $ set -- <key> "
                  "<value>",
                  {TtlFlag()[0],
                   {"swap-with-value", FlagKind::kString, "", "previous value"},
                   {"swap-with-index", FlagKind::kInt, "0", "previous index"}},
                  SetCommand,
                  {}});
  cmds.push_back({"setdir",
                  "create a new directory or update an existing directory TTL",
                  "<key>",
                  "",
                  TtlFlag(),
                  MkdirAction(""),
                  {}});
  cmds.push_back({"update",
                  "update an existing key with a given value",
                  "<key> <value>",
                  "",
                  TtlFlag(),
                  UpdateCommand,
                  {}});
  cmds.push_back({"updatedir",
                  "update an existing directory",
                  "<key> <value>",
                  "",
                  TtlFlag(),
                  MkdirAction("true"),
                  {}});
  cmds.push_back(
      {"watch",
       "watch a key for changes",
       "<key>",
       "",
       {{"forever, f", FlagKind::kBool, "", "forever watch a key until CTRL+C"},
        {"after-index", FlagKind::kInt, "0", "watch after the given index"},
        {"recursive, r", FlagKind::kBool, "", "returns all values for key and child keys"}},
       WatchCommand,
       {}});
  cmds.push_back(
      {"exec-watch",
       "watch a key for changes and exec an executable",
       "<key> <command> [args...]",
       "",
       {{"after-index", FlagKind::kInt, "0", "watch after the given index"},
        {"recursive, r", FlagKind::kBool, "", "watch all values for key and child keys"}},
       ExecWatchCommand,
       {}});
  cmds.push_back(
      {"member",
       "member add, remove and list subcommands",
       "",
       "",
       {},
       nullptr,
       {{"list", "enumerate existing cluster members", " ", "", {}, MemberList, {}},
        {"add", "add a new member to the etcd cluster", "<name> <peerURL>", "", {}, MemberAdd, {}},
        {"remove",
         "remove an existing member from the etcd cluster",
         "<memberID>",
         "",
         {},
         MemberRemove,
         {}},
        {"update",
         "update an existing member in the etcd cluster",
         "<memberID> <peerURLs>",
         "",
         {},
         MemberUpdate,
         {}}}});
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
        {"list", "list all current users", "<user>", "", {}, UserList, {}},
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
        {"list", "list all roles", " ", "", {}, RoleList, {}},
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
  return app;
}

}  // namespace

std::string CanonicalUrlPath(const std::string& p) {
  if (p.empty()) return "/";
  std::string in = p[0] == '/' ? p : "/" + p;
  std::vector<std::string> parts;
  for (absl::string_view seg : absl::StrSplit(in, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(seg);
  }
  std::string out = "/" + absl::StrJoin(parts, "/");
  if (in.back() == '/' && out != "/") out += "/";
  return out;
}

int RunCtlV2(const std::vector<std::string>& args) {
  CliApp app = MakeApp();
  int code;
  try {
    code = RunApp(app, args);
  } catch (const ExitNow& e) {
    code = e.code;
  }
  std::cout.flush();
  std::cerr.flush();
  return code;
}

}  // namespace etcdpp::etcdctl::v2
