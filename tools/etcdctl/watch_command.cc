// watch (ctlv3/command/watch_command.go): one key or range, --prefix, --rev, --prev-kv, the
// exec form `watch key -- command args` (the command runs once per event with
// ETCD_WATCH_{REVISION,EVENT_TYPE,KEY,VALUE} in its environment) and -i, where stdin carries
// `watch ...` and `progress` lines. All watches of a run share one gRPC stream, as clientv3's.

#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "child_process.h"
#include "commands.h"
#include "common/go_text.h"
#include "go_json.h"
#include "kv_ops.h"
#include "output.h"
#include "txn_parser.h"

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::WatchResponse;

const char* EventType(const mvccpb::Event& e) {
  return e.type() == mvccpb::Event::PUT ? "PUT" : "DELETE";
}

// display.Watch for one response; false when the format cannot print it.
bool PrintWatch(const Output& out, const WatchResponse& r) {
  switch (out.format) {
    case Format::kSimple:
      for (const auto& e : r.events()) {
        std::cout << EventType(e) << "\n";
        if (e.has_prev_kv()) PrintKV(out, false, e.prev_kv());
        PrintKV(out, false, e.kv());
      }
      break;
    case Format::kFields:
      FieldsHeader(r.header());
      for (const auto& e : r.events()) {
        std::cout << "\"Type\" : " << EventType(e) << "\n";
        if (e.has_prev_kv()) FieldsKV("Prev", e.prev_kv());
        FieldsKV("", e.kv());
      }
      break;
    case Format::kJson: {
      // clientv3 always makes the slice, so an empty one is [] (never null).
      std::string events = "[";
      for (int i = 0; i < r.events_size(); ++i)
        absl::StrAppend(&events, i ? "," : "", GoJson(r.events(i)));
      events += "]";
      std::cout << "{\"Header\":" << GoJson(r.header()) << ",\"Events\":" << events
                << ",\"CompactRevision\":" << r.compact_revision()
                << ",\"Canceled\":" << (r.canceled() ? "true" : "false")
                << ",\"Created\":" << (r.created() ? "true" : "false") << "}\n";
      break;
    }
    case Format::kProtobuf: {
      WatchResponse copy;
      *copy.mutable_header() = r.header();
      *copy.mutable_events() = r.events();
      copy.set_compact_revision(r.compact_revision());
      copy.set_canceled(r.canceled());
      std::cout << copy.SerializeAsString();
      break;
    }
    default:
      return false;
  }
  std::cout << std::flush;
  return true;
}

// Runs the exec form's command for one event; false (after the error line) when it fails.
bool RunExec(const std::vector<std::string>& argv, const WatchResponse& r, const mvccpb::Event& e) {
  std::string err = RunChild(argv, {{"ETCD_WATCH_REVISION", absl::StrCat(r.header().revision())},
                                    {"ETCD_WATCH_EVENT_TYPE", GoQuote(EventType(e))},
                                    {"ETCD_WATCH_KEY", GoQuote(e.kv().key())},
                                    {"ETCD_WATCH_VALUE", GoQuote(e.kv().value())}});
  if (err.empty()) return true;
  std::string quoted;
  for (const auto& a : argv) absl::StrAppend(&quoted, quoted.empty() ? "" : " ", GoQuote(a));
  std::cerr << "command [" << quoted << "] error (" << err << ")\n";
  return false;
}

struct WatchSpec {
  std::vector<std::string> keys;  // key [range_end]
  std::vector<std::string> exec;
  bool prefix = false, prev_kv = false;
  int64_t rev = 0;
};

bool BuildRequest(const WatchSpec& w, etcdserverpb::WatchRequest* req, std::string* err) {
  if (w.keys.empty()) {
    *err = "bad number of arguments";
    return false;
  }
  auto* c = req->mutable_create_request();
  c->set_key(w.keys[0]);
  if (w.keys.size() == 2) {
    if (w.prefix) {
      *err = "`range_end` and `--prefix` are mutually exclusive";
      return false;
    }
    c->set_range_end(w.keys[1]);
  }
  if (w.prefix)
    c->set_range_end(w.keys[0].empty() ? std::string(1, '\0') : PrefixRangeEnd(w.keys[0]));
  c->set_start_revision(w.rev);
  c->set_prev_kv(w.prev_kv);
  return true;
}

// The stream and the per-watch exec commands. Reader thread only, except Send.
class WatchSession {
 public:
  WatchSession(Client& c, Output out) : out_(out) {
    ctx_ = c.NewContext(absl::ZeroDuration());
    ctx_->AddMetadata("hasleader", "true");
    stream_ = c.watch().Watch(ctx_.get());
  }

  bool Send(const etcdserverpb::WatchRequest& req, std::vector<std::string> exec) {
    std::lock_guard<std::mutex> l(mu_);
    if (req.has_create_request()) pending_exec_.push_back(std::move(exec));
    return stream_->Write(req);
  }

  // Reads until the stream ends or every watch is canceled; returns the exit code.
  int Loop(bool interactive) {
    WatchResponse r;
    while (stream_->Read(&r)) {
      std::vector<std::string> exec;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (r.created() && !r.canceled()) {
          exec_[r.watch_id()] =
              pending_exec_.empty() ? std::vector<std::string>() : pending_exec_.front();
          if (!pending_exec_.empty()) pending_exec_.pop_front();
          continue;
        }
        exec = exec_[r.watch_id()];
      }
      int rc = Handle(r, exec);
      if (rc >= 0) return rc;
      if (r.canceled() && !interactive) break;
    }
    return Fail(kExitInterrupted, "watch is canceled by the server");
  }

 private:
  // -1 to go on, else the exit code.
  int Handle(const WatchResponse& r, const std::vector<std::string>& exec) {
    if (r.canceled()) {
      std::string why = r.compact_revision() != 0
                            ? "etcdserver: mvcc: required revision has been compacted"
                            : r.cancel_reason();
      std::cerr << "watch was canceled (" << (why.empty() ? "<nil>" : why) << ")\n";
    }
    bool progress =
        r.events_size() == 0 && !r.canceled() && !r.created() && r.compact_revision() == 0;
    if (progress) std::cout << "progress notify: " << r.header().revision() << "\n";
    if (!PrintWatch(out_, r)) return Unsupported(out_);
    for (const auto& e : r.events()) {
      if (!exec.empty() && !RunExec(exec, r, e)) return kExitError;
    }
    return -1;
  }

  Output out_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, WatchResponse>> stream_;
  std::mutex mu_;
  std::deque<std::vector<std::string>> pending_exec_;  // guarded by mu_
  std::map<int64_t, std::vector<std::string>> exec_;   // guarded by mu_
};

// parseWatchArgs for the command line: the words after "watch", split at "--".
bool ParseCommandLine(Invocation& inv, WatchSpec* w, std::string* err) {
  std::vector<std::string> raw = inv.raw;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == "watch") {
      raw.erase(raw.begin(), raw.begin() + i + 1);
      break;
    }
  }
  const char* env_key = std::getenv("ETCDCTL_WATCH_KEY");
  const char* env_range = std::getenv("ETCDCTL_WATCH_RANGE_END");
  std::string key = env_key ? env_key : "", range = env_range ? env_range : "";
  auto sep = std::find(raw.begin(), raw.end(), "--");
  bool has_exec = sep != raw.end();
  if (has_exec && sep + 1 == raw.end()) {
    *err = "bad number of arguments (found separator --, but no commands)";
    return false;
  }
  if (!has_exec && raw.empty() && key.empty()) {
    *err = "bad number of arguments";
    return false;
  }
  std::vector<std::string> args = inv.args;
  if (!has_exec && !args.empty() && !key.empty()) {
    *err = "bad number of arguments (found conflicting environment key)";
    return false;
  }
  if (has_exec) {
    w->exec.assign(sep + 1, raw.end());
    // The positional args end where the exec command starts.
    args.resize(args.size() - w->exec.size());
  }
  if (!key.empty()) {
    std::vector<std::string> env = {key};
    if (!range.empty()) env.push_back(range);
    args.insert(args.begin(), env.begin(), env.end());
  }
  w->keys = args;
  w->prefix = inv.flags->GetBool("prefix");
  w->prev_kv = inv.flags->GetBool("prev-kv");
  w->rev = inv.flags->GetInt64("rev");
  return true;
}

// The key and range end given by ETCDCTL_WATCH_KEY / ETCDCTL_WATCH_RANGE_END.
std::vector<std::string> EnvKeys() {
  const char* key = std::getenv("ETCDCTL_WATCH_KEY");
  const char* range = std::getenv("ETCDCTL_WATCH_RANGE_END");
  std::vector<std::string> keys;
  if (key != nullptr && *key != '\0') keys.push_back(key);
  if (!keys.empty() && range != nullptr && *range != '\0') keys.push_back(range);
  return keys;
}

// One interactive line "watch [flags] key [range_end] [-- cmd ...]".
bool ParseInteractive(const std::vector<std::string>& words, WatchSpec* w, std::string* err) {
  FlagSet fs;
  fs.AddBool("interactive", false, "Interactive mode", "i");
  fs.AddBool("prefix", false, "");
  fs.Add("rev", "", FlagType::kInt64, "0", "");
  fs.AddBool("prev-kv", false, "");
  std::vector<std::string> rest(words.begin() + 1, words.end());
  auto sep = std::find(rest.begin(), rest.end(), "--");
  if (sep != rest.end() && sep + 1 == rest.end()) {
    *err = "bad number of arguments (found separator --, but no commands)";
    return false;
  }
  if (sep != rest.end()) {
    w->exec.assign(sep + 1, rest.end());
    rest.erase(sep, rest.end());
  }
  auto pos = fs.Parse(rest);
  if (!pos.ok()) {
    *err = std::string(pos.status().message());
    return false;
  }
  std::vector<std::string> env = EnvKeys();
  if (w->exec.empty() && env.empty() && pos->empty()) {
    *err = "bad number of arguments";
    return false;
  }
  if (w->exec.empty() && !pos->empty() && !env.empty()) {
    *err = "bad number of arguments (found conflicting environment key)";
    return false;
  }
  w->keys = env;
  w->keys.insert(w->keys.end(), pos->begin(), pos->end());
  w->prefix = fs.GetBool("prefix");
  w->prev_kv = fs.GetBool("prev-kv");
  w->rev = fs.GetInt64("rev");
  return true;
}

// Reads stdin lines until it ends; watches run in the session's reader thread.
int InteractiveLoop(WatchSession& session) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (std::cin.eof()) break;
    std::vector<std::string> words;
    Argify(line, &words);
    if (words.empty()) {
      std::cerr << "Invalid command: " << line << " (watch and progress supported)\n";
      continue;
    }
    if (words[0] == "progress") {
      etcdserverpb::WatchRequest req;
      req.mutable_progress_request();
      session.Send(req, {});
      continue;
    }
    if (words[0] != "watch") {
      std::cerr << "Invalid command " << line << " (only support watch)\n";
      continue;
    }
    if (words.size() < 2 && EnvKeys().empty()) {
      std::cerr << "Invalid command " << line << " (command type or key is not provided)\n";
      continue;
    }
    WatchSpec w;
    std::string err;
    if (!ParseInteractive(words, &w, &err)) return Fail(kExitBadArgs, err);
    etcdserverpb::WatchRequest req;
    if (!BuildRequest(w, &req, &err)) {
      std::cerr << "Invalid command " << line << " (" << err << ")\n";
      continue;
    }
    session.Send(req, w.exec);
  }
  return Fail(kExitInvalidInput, "Error reading watch request line: EOF");
}

int RunWatch(Invocation& inv) {
  const char* env_key = std::getenv("ETCDCTL_WATCH_KEY");
  const char* env_range = std::getenv("ETCDCTL_WATCH_RANGE_END");
  if ((env_key == nullptr || *env_key == '\0') && env_range != nullptr && *env_range != '\0') {
    return Fail(kExitBadArgs,
                absl::StrCat("ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=",
                             GoQuote(env_range)));
  }
  const bool interactive = inv.flags->GetBool("interactive");
  WatchSpec w;
  std::string err;
  if (!interactive && !ParseCommandLine(inv, &w, &err)) return Fail(kExitBadArgs, err);
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  WatchSession session(*c, out);
  if (interactive) {
    std::thread reader([&] {
      int rc = session.Loop(true);
      std::cout.flush();
      std::_Exit(rc);
    });
    int rc = InteractiveLoop(session);
    std::cout.flush();
    std::_Exit(rc);
  }
  etcdserverpb::WatchRequest req;
  if (!BuildRequest(w, &req, &err)) return Fail(kExitBadArgs, err);
  session.Send(req, w.exec);
  return session.Loop(false);
}

}  // namespace

void AddWatchCommand(Command& root) {
  auto watch =
      NewCommand("watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]",
                 "Watches events stream on keys or prefixes", RunWatch);
  watch->flags.AddBool("interactive", false, "Interactive mode", "i");
  watch->flags.AddBool("prefix", false, "Watch on a prefix if prefix is set");
  watch->flags.Add("rev", "", FlagType::kInt64, "0", "Revision to start watching");
  watch->flags.AddBool("prev-kv", false,
                       "get the previous key-value pair before the event happens");
  root.Add(std::move(watch));
}

}  // namespace etcdpp::etcdctl
