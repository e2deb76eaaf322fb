#include "bench/tool/options.h"

#include <cstdlib>
#include <functional>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace etcdpp::bench {
namespace {

using Setter = std::function<bool(const std::string&)>;

Setter Int(int64_t* out) {
  return [out](const std::string& v) { return absl::SimpleAtoi(v, out); };
}
Setter Int32(int* out) {
  return [out](const std::string& v) { return absl::SimpleAtoi(v, out); };
}
Setter Double(double* out) {
  return [out](const std::string& v) { return absl::SimpleAtod(v, out); };
}
Setter Str(std::string* out) {
  return [out](const std::string& v) {
    *out = v;
    return true;
  };
}

// Accepts Go durations as etcd's flags do: 30s, 1m, 1m30s, 500ms, or plain seconds.
bool ParseDuration(const std::string& v, double* out) {
  if (absl::SimpleAtod(v, out)) return true;
  double total = 0;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = i;
    while (j < v.size() && (isdigit(v[j]) || v[j] == '.')) ++j;
    double n;
    if (j == i || !absl::SimpleAtod(v.substr(i, j - i), &n)) return false;
    size_t k = j;
    while (k < v.size() && isalpha(v[k])) ++k;
    std::string unit = v.substr(j, k - j);
    if (unit == "h")
      n *= 3600;
    else if (unit == "m")
      n *= 60;
    else if (unit == "s")
      n *= 1;
    else if (unit == "ms")
      n /= 1e3;
    else if (unit == "us")
      n /= 1e6;
    else
      return false;
    total += n;
    i = k;
  }
  *out = total;
  return true;
}

std::map<std::string, Setter> Flags(Options* o) {
  return {
      {"endpoints",
       [o](const std::string& v) {
         o->endpoints = absl::StrSplit(v, ',', absl::SkipEmpty());
         return !o->endpoints.empty();
       }},
      {"conns", Int32(&o->conns)},
      {"clients", Int32(&o->clients)},
      {"threads", Int32(&o->threads)},
      {"timeout", [o](const std::string& v) { return ParseDuration(v, &o->timeout_s); }},
      {"stall-timeout", [o](const std::string& v) { return ParseDuration(v, &o->stall_s); }},
      {"dial-timeout", [o](const std::string& v) { return ParseDuration(v, &o->dial_timeout_s); }},
      {"total", Int(&o->total)},
      {"duration", [o](const std::string& v) { return ParseDuration(v, &o->duration_s); }},
      {"rate", Int(&o->rate)},
      {"key-size", Int(&o->key_size)},
      {"val-size", Int(&o->val_size)},
      {"key-space-size", Int(&o->key_space_size)},
      {"key-prefix", Str(&o->key_prefix)},
      {"consistency", Str(&o->consistency)},
      {"user",
       [o](const std::string& v) {  // NAME:PASSWORD, split at the first ':' as etcdctl does
         size_t colon = v.find(':');
         if (colon == 0 || colon == std::string::npos) return false;
         o->user = v.substr(0, colon);
         o->password = v.substr(colon + 1);
         return true;
       }},
      {"cacert", Str(&o->cacert)},
      {"cert", Str(&o->cert)},
      {"key", Str(&o->key)},
      {"txn-ops", Int(&o->txn_ops)},
      {"rw-ratio", Double(&o->rw_ratio)},
      {"limit", Int(&o->limit)},
      {"end-key", Str(&o->end_key)},
      {"data-dir", Str(&o->data_dir)},
      {"put-rate", Int(&o->put_rate)},
      {"put-total", Int(&o->put_total)},
      {"streams", Int(&o->streams)},
      {"watch-per-stream", Int(&o->watch_per_stream)},
  };
}

std::map<std::string, bool*> BoolFlags(Options* o) {
  return {{"json", &o->json},
          {"sequential-keys", &o->sequential_keys},
          {"target-leader", &o->target_leader}};
}

// Flags etcd's tool has that we accept and ignore (so etcd command lines run unchanged).
bool IgnoredFlag(const std::string& name) {
  return name == "precise" || name == "sample" || name == "report-interval" ||
         name == "compact-interval" || name == "compact-index-delta" || name == "check-hashkv";
}

}  // namespace

[[nodiscard]] absl::StatusOr<Options> ParseOptions(int argc, char** argv) {
  Options o;
  auto flags = Flags(&o);
  auto bools = BoolFlags(&o);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      if (o.workload.empty())
        o.workload = a;
      else
        o.args.push_back(a);
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "help" || name == "h") return absl::InvalidArgumentError(Usage());
    if (auto b = bools.find(name); b != bools.end()) {
      if (!has_value) value = "true";
      if (!absl::SimpleAtob(value, b->second)) {
        return absl::InvalidArgumentError(absl::StrCat("bad value for --", name, ": ", value));
      }
      continue;
    }
    auto f = flags.find(name);
    bool ignored = IgnoredFlag(name);
    if (f == flags.end() && !ignored) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, "\n", Usage()));
    }
    if (!has_value) {
      if (ignored && (name == "precise" || name == "check-hashkv")) continue;
      if (i + 1 >= argc)
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = argv[++i];
    }
    if (!ignored && !f->second(value)) {
      if (name == "user") {  // never echo a password
        return absl::InvalidArgumentError("bad value for --user: want NAME:PASSWORD");
      }
      return absl::InvalidArgumentError(absl::StrCat("bad value for --", name, ": ", value));
    }
  }
  if (o.workload.empty()) return absl::InvalidArgumentError(Usage());
  if (o.conns < 1 || o.clients < 1 || o.key_space_size < 1) {
    return absl::InvalidArgumentError("--conns, --clients and --key-space-size must be positive");
  }
  if (o.consistency != "l" && o.consistency != "s") {
    return absl::InvalidArgumentError("--consistency must be l or s");
  }
  return o;
}

void ApplyWorkloadDefaults(Options* o) {
  const std::string& w = o->workload;
  bool watchy = w == "watch" || w == "watch-latency";
  if (o->key_size == kUnset) o->key_size = watchy ? 32 : 8;
  if (o->val_size == kUnset) o->val_size = watchy ? 32 : 8;
  if (o->put_rate == kUnset) o->put_rate = w == "watch-latency" ? 100 : 0;
  if (w == "watch") {  // the driver's budget and pacing are the put phase's
    o->total = o->put_total;
    o->rate = o->put_rate;
  }
  if (o->total == kUnset) o->total = o->duration_s > 0 ? INT64_MAX : 10000;
  if (o->threads <= 0) o->threads = o->clients < 2 ? 1 : 2;
}

std::string Usage() {
  return "usage: etcdpp-bench [--endpoints h:p,...] [--conns N] [--clients N] [--target-leader]\n"
         "         [--cacert FILE] [--cert FILE] [--key FILE] [--user NAME:PASSWORD]\n"
         "         [--json] [--threads N] <workload> [flags]\n"
         "workloads (as etcd's benchmark tool):\n"
         "  put             --total --duration --rate --key-size --val-size --key-space-size\n"
         "                  --sequential-keys --key-prefix\n"
         "  range KEY [END] --consistency l|s --total --duration --rate\n"
         "  txn-put         --txn-ops --total --duration --rate --key-size --val-size\n"
         "                  --key-space-size\n"
         "  txn-mixed       --rw-ratio --limit --end-key --consistency --total --duration --rate\n"
         "                  --key-size --val-size --key-space-size\n"
         "  watch           --streams --watch-per-stream --put-total --put-rate --key-size\n"
         "                  --key-space-size --sequential-keys\n"
         "  watch-latency   --total --put-rate --key-size --val-size (watchers = --clients)\n"
         "  lease-keepalive --total --duration --rate\n"
         "  (--key-prefix P: every generated key starts with P; range takes its KEY as given)\n"
         "  grpc-rtt        range against an in-process no-op server: the loopback floor\n"
         "  fdatasync       --data-dir --total: the disk's raw sync latency (the other floor)\n";
}

}  // namespace etcdpp::bench
