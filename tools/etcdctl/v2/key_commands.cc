// The v2 key commands (etcdctl/ctlv2/command/*_command.go over client/keys.go).

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/go_text.h"
#include "common/v2client/keys_format.h"
#include "v2/ctl.h"
#include "v2/ctl_shared.h"

namespace etcdpp::etcdctl::v2 {
namespace {

using v2client::FormatLs;
using v2client::FormatResponse;
using v2client::KeysError;
using v2client::Node;
using v2client::ParseKeysError;
using v2client::ParseResponse;
using v2client::Response;

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

std::vector<FlagSpec> TtlFlag() {
  return {{"ttl", FlagKind::kInt, "0", "key time-to-live in seconds"}};
}

}  // namespace

std::vector<CliCommand> KeyCommands() {
  return {{"mk",
           "make a new key with a given value",
           "<key> <value>",
           "",
           {{"in-order", FlagKind::kBool, "", "create in-order key under directory <key>"},
            TtlFlag()[0]},
           MkCommand,
           {}},
          {"mkdir", "make a new directory", "<key>", "", TtlFlag(), MkdirAction("false"), {}},
          {"rm",
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
           {}},
          {"rmdir",
           "removes the key if it is an empty directory or a key-value pair",
           "<key>",
           "",
           {},
           RmdirCommand,
           {}},
          {"get",
           "retrieve the value of a key",
           "<key>",
           "",
           {{"sort", FlagKind::kBool, "", "returns result in sorted order"},
            {"quorum, q", FlagKind::kBool, "", "require quorum for get request"}},
           GetCommand,
           {}},
          {"ls",
           "retrieve a directory",
           "[key]",
           "",
           {{"sort", FlagKind::kBool, "", "returns result in sorted order"},
            {"recursive, r", FlagKind::kBool, "",
             "returns all key names recursively for the given path"},
            {"p", FlagKind::kBool, "", "append slash (/) to directories"},
            {"quorum, q", FlagKind::kBool, "", "require quorum for get request"}},
           LsCommand,
           {}},
          {"set",
           "set the value of a key",
           "<key> <value>",
           "Set sets the value of a key.\n\n   When <value> begins with '-', <value> is "
           "interpreted as a flag.\n   Insert '--' for workaround:\n\n   $ set -- <key> "
           "<value>",
           {TtlFlag()[0],
            {"swap-with-value", FlagKind::kString, "", "previous value"},
            {"swap-with-index", FlagKind::kInt, "0", "previous index"}},
           SetCommand,
           {}},
          {"setdir",
           "create a new directory or update an existing directory TTL",
           "<key>",
           "",
           TtlFlag(),
           MkdirAction(""),
           {}},
          {"update",
           "update an existing key with a given value",
           "<key> <value>",
           "",
           TtlFlag(),
           UpdateCommand,
           {}},
          {"updatedir",
           "update an existing directory",
           "<key> <value>",
           "",
           TtlFlag(),
           MkdirAction("true"),
           {}},
          {"watch",
           "watch a key for changes",
           "<key>",
           "",
           {{"forever, f", FlagKind::kBool, "", "forever watch a key until CTRL+C"},
            {"after-index", FlagKind::kInt, "0", "watch after the given index"},
            {"recursive, r", FlagKind::kBool, "", "returns all values for key and child keys"}},
           WatchCommand,
           {}},
          {"exec-watch",
           "watch a key for changes and exec an executable",
           "<key> <command> [args...]",
           "",
           {{"after-index", FlagKind::kInt, "0", "watch after the given index"},
            {"recursive, r", FlagKind::kBool, "", "watch all values for key and child keys"}},
           ExecWatchCommand,
           {}}};
}

}  // namespace etcdpp::etcdctl::v2
