// check perf and check datascale (ctlv3/command/check.go): a write load of one of four sizes
// against the cluster, with stock etcdctl's workloads, progress bar, verdict lines, key
// cleanup and --auto-compact / --auto-defrag.
//
// `check perf` runs for 60 s by etcd's design. ETCDPP_TEST_CHECK_PERF_SECONDS=N (test-only,
// not a flag: tests/compat/etcdctl_check_test.sh uses it so that a run takes N seconds; the
// verdict thresholds stay etcd's) shortens it; nothing else reads it.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "commands.h"
#include "common/go_text.h"
#include "kv_ops.h"
#include "progress_bar.h"
#include "put_load.h"
#include "resident_memory.h"

namespace etcdpp::etcdctl {
namespace {

struct PerfWorkload {
  int limit;    // puts per second
  int clients;  // connections, each with its own worker
  int seconds;
};
struct ScaleWorkload {
  int limit;  // keys written
  int kv_size;
  int clients;
};

// s, m, l, xl (checkPerfCfgMap, checkDatascaleCfgMap).
constexpr PerfWorkload kPerf[] = {
    {150, 50, 60}, {1000, 200, 60}, {8000, 500, 60}, {15000, 1000, 60}};
constexpr ScaleWorkload kScale[] = {
    {10000, 1024, 50}, {100000, 1024, 200}, {1000000, 1024, 500}, {3000000, 1024, 1000}};

// The workload index of a --load value (short or long name), -1 if unknown.
int Model(const std::string& load) {
  constexpr const char* kNames[][2] = {
      {"s", "small"}, {"m", "medium"}, {"l", "large"}, {"xl", "xLarge"}};
  for (int i = 0; i < 4; ++i) {
    if (load == kNames[i][0] || load == kNames[i][1]) return i;
  }
  return -1;
}

// Go's %f ("NaN" where C prints "nan").
std::string GoF(double v) { return std::isnan(v) ? "NaN" : absl::StrFormat("%f", v); }

// What both checks share: the clients, the prefix that must be empty at the start, the cleanup.
class Check {
 public:
  // Reads the flags and connects `clients` clients; false with *code set after printing.
  bool Open(Invocation& inv, int clients, int* code) {
    prefix_ = inv.flags->GetString("prefix");
    compact_ = inv.flags->GetBool("auto-compact");
    defrag_ = inv.flags->GetBool("auto-defrag");
    Output out;
    CtlError err;
    auto cfg = ConfigFromFlags(inv, &out, &err);
    if (cfg.ok()) {
      cfg_ = *cfg;
      load_ = PutLoad::Connect(cfg_, clients, &err);
    }
    if (load_ == nullptr) *code = Fail(err.code, err.message);
    return load_ != nullptr;
  }

  // Fails (exit 3) when keys with the prefix exist.
  bool PrefixIsEmpty(absl::Duration timeout, int* code) {
    etcdserverpb::RangeRequest req;
    req.set_key(prefix_);
    req.set_range_end(PrefixRangeEnd(prefix_));
    req.set_limit(1);
    etcdserverpb::RangeResponse resp;
    auto ctx = load_->first().NewContext(timeout);
    grpc::Status st = load_->first().Logged(load_->first().kv().Range(ctx.get(), req, &resp));
    if (!st.ok()) {
      *code = Fail(kExitError, ErrorText(st));
    } else if (resp.kvs_size() > 0) {
      *code = Fail(kExitInvalidInput,
                   absl::StrCat("prefix ", GoQuote(prefix_),
                                " has keys. Delete with etcdctl del --prefix ", prefix_, " first"));
    }
    return st.ok() && resp.kvs_size() == 0;
  }

  // Deletes the prefix's keys, then compacts and defragments as the flags ask.
  bool CleanUp(absl::Duration delete_timeout, int* code) {
    etcdserverpb::DeleteRangeRequest req;
    req.set_key(prefix_);
    req.set_range_end(PrefixRangeEnd(prefix_));
    etcdserverpb::DeleteRangeResponse resp;
    Client& c = load_->first();
    auto ctx = c.NewContext(delete_timeout);
    grpc::Status st = c.Logged(c.kv().DeleteRange(ctx.get(), req, &resp));
    if (st.ok() && compact_) st = Compact(resp.header().revision());
    for (size_t i = 0; st.ok() && defrag_ && i < c.config().endpoints.size(); ++i) {
      st = Defragment(c.config().endpoints[i]);
    }
    if (!st.ok()) *code = Fail(kExitError, ErrorText(st));
    return st.ok();
  }

  PutLoad& load() { return *load_; }
  const ClientConfig& config() const { return cfg_; }
  const std::string& prefix() const { return prefix_; }

 private:
  grpc::Status Compact(int64_t rev) {
    std::cout << "Compacting with revision " << rev << "\n" << std::flush;
    etcdserverpb::CompactionRequest req;
    req.set_revision(rev);
    req.set_physical(true);
    etcdserverpb::CompactionResponse resp;
    auto ctx = load_->first().NewContext(absl::Seconds(30));
    grpc::Status st = load_->first().Logged(load_->first().kv().Compact(ctx.get(), req, &resp));
    if (st.ok()) std::cout << "Compacted with revision " << rev << "\n";
    return st;
  }

  grpc::Status Defragment(const std::string& ep) {
    std::cout << "Defragmenting " << GoQuote(ep) << "\n" << std::flush;
    CtlError err;
    auto one = Client::ConnectOne(cfg_, ep, &err);
    if (one == nullptr) return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, err.message);
    etcdserverpb::DefragmentResponse resp;
    auto ctx = one->NewContext(absl::Seconds(30));
    grpc::Status st = one->Logged(
        one->maintenance().Defragment(ctx.get(), etcdserverpb::DefragmentRequest(), &resp));
    if (st.ok()) std::cout << "Defragmented " << GoQuote(ep) << "\n";
    return st;
  }

  ClientConfig cfg_;
  std::unique_ptr<PutLoad> load_;
  std::string prefix_;
  bool compact_ = false, defrag_ = false;
};

// "FAIL: too many errors" and one line per distinct error (sorted; Go's map order is random).
bool PrintErrors(const LoadStats& s) {
  if (s.errors.empty()) return true;
  std::cout << "FAIL: too many errors\n";
  for (const auto& [text, n] : s.errors)
    std::cout << "FAIL: ERROR(" << text << ") -> " << n << "\n";
  return false;
}

int PerfSeconds(int seconds) {
  const char* v = std::getenv("ETCDPP_TEST_CHECK_PERF_SECONDS");
  int n = 0;
  return v != nullptr && absl::SimpleAtoi(v, &n) && n > 0 ? n : seconds;
}

// Hands out keys at the workload's rate (a token bucket of one, as golang.org/x/time/rate
// with burst 1) until the next one would come after the deadline.
void ProducePerfKeys(Check& check, const PerfWorkload& w, absl::Time deadline) {
  RandomKeys keys(check.prefix(), 256);
  const absl::Duration interval = absl::Seconds(1) / w.limit;
  absl::Time grant = absl::Now();
  for (int64_t i = 0;; ++i) {
    if (i > 0) grant = std::max(grant + interval, absl::Now());
    if (grant > deadline) return;
    absl::SleepFor(grant - absl::Now());
    check.load().Push(keys.Next());
  }
}

int RunPerf(Invocation& inv) {
  const std::string load = inv.flags->GetString("load");
  int model = Model(load);
  if (model < 0) return Fail(kExitBadFeature, absl::StrCat("unknown load option ", load));
  PerfWorkload w = kPerf[model];
  w.seconds = PerfSeconds(w.seconds);
  Check check;
  int code = 0;
  if (!check.Open(inv, w.clients, &code) || !check.PrefixIsEmpty(absl::Seconds(w.seconds), &code))
    return code;

  ProgressBar bar(w.seconds);
  bar.Start();
  check.load().Start(std::string(1024, '\0'), nullptr);
  std::thread ticker([&bar, &w] {
    for (int i = 0; i < w.seconds; ++i) {
      absl::SleepFor(absl::Seconds(1));
      bar.Add(1);
    }
    bar.Finish();
  });
  ProducePerfKeys(check, w, absl::Now() + absl::Seconds(w.seconds));
  LoadStats s = check.load().Finish();
  ticker.join();
  if (!check.CleanUp(absl::Seconds(30), &code)) return code;

  bool ok = PrintErrors(s);
  int rps = static_cast<int>(s.rps) + 1;
  if (s.rps / w.limit <= 0.9) {
    std::cout << "FAIL: Throughput too low: " << rps << " writes/s\n";
    ok = false;
  } else {
    std::cout << "PASS: Throughput is " << rps << " writes/s\n";
  }
  if (s.slowest > 0.5) {
    std::cout << "Slowest request took too long: " << GoF(s.slowest) << "s\n";
    ok = false;
  } else {
    std::cout << "PASS: Slowest request took " << GoF(s.slowest) << "s\n";
  }
  if (s.stddev > 0.1) {
    std::cout << "Stddev too high: " << GoF(s.stddev) << "s\n";
    ok = false;
  } else {
    std::cout << "PASS: Stddev is " << GoF(s.stddev) << "s\n";
  }
  std::cout << (ok ? "PASS" : "FAIL") << "\n";
  return ok ? kExitSuccess : kExitError;
}

int RunDatascale(Invocation& inv) {
  const std::string load = inv.flags->GetString("load");
  int model = Model(load);
  if (model < 0) return Fail(kExitBadFeature, absl::StrCat("unknown load option ", load));
  const ScaleWorkload& w = kScale[model];
  Check check;
  int code = 0;
  if (!check.Open(inv, w.clients, &code) || !check.PrefixIsEmpty(absl::ZeroDuration(), &code))
    return code;

  const std::string& ep = check.config().endpoints.at(0);
  double before = ResidentMemoryBytes(ep, check.config());
  if (before == 0) {
    std::cout << "FAIL: Could not read process_resident_memory_bytes before the put operations.\n";
    return kExitError;
  }
  std::cout << "Start data scale check for work load [" << w.limit << " key-value pairs, "
            << w.kv_size << " bytes per key-value, " << w.clients << " concurrent clients].\n";
  ProgressBar bar(w.limit);
  bar.Start();
  check.load().Start(std::string(512, '\0'), [&bar] { bar.Add(1); });
  RandomKeys keys(check.prefix(), 512);
  for (int i = 0; i < w.limit; ++i) check.load().Push(keys.Next());
  LoadStats s = check.load().Finish();
  bar.Finish();

  double after = ResidentMemoryBytes(ep, check.config());
  if (after == 0) {
    std::cout << "FAIL: Could not read process_resident_memory_bytes after the put operations.\n";
    return kExitError;
  }
  if (!check.CleanUp(absl::ZeroDuration(), &code)) return code;
  if (!PrintErrors(s)) return kExitError;
  std::cout << "PASS: Approximate system memory used : "
            << absl::StrFormat("%.2f", (after - before) / (1024 * 1024)) << " MB.\n";
  return kExitSuccess;
}

std::unique_ptr<Command> NewCheck(bool perf) {
  const std::string kind = perf ? "performance" : "datascale";
  auto sub = NewCommand(perf ? "perf [options]" : "datascale [options]",
                        perf ? "Check the performance of the etcd cluster"
                             : "Check the memory usage of holding data for different workloads "
                               "on a given server endpoint.",
                        perf ? RunPerf : RunDatascale);
  if (!perf) {
    sub->long_desc =
        "If no endpoint is provided, localhost will be used. If multiple endpoints are provided, "
        "first endpoint will be used.";
  }
  sub->flags.AddString("load", "s",
                       absl::StrCat("The ", kind,
                                    " check's workload model. Accepted workloads: s(small), "
                                    "m(medium), l(large), xl(xLarge)"));
  sub->flags.AddString("prefix", perf ? "/etcdctl-check-perf/" : "/etcdctl-check-datascale/",
                       absl::StrCat("The prefix for writing the ", kind, " check's keys."));
  sub->flags.AddBool("auto-compact", false,
                     "Compact storage with last revision after test is finished.");
  sub->flags.AddBool("auto-defrag", false, "Defragment storage after test is finished.");
  return sub;
}

}  // namespace

void AddCheckCommands(Command& root) {
  auto check = NewCommand("check <subcommand>",
                          "commands for checking properties of the etcd cluster", nullptr);
  check->Add(NewCheck(true));
  check->Add(NewCheck(false));
  root.Add(std::move(check));
}

}  // namespace etcdpp::etcdctl
