// robustness_test: a workload of concurrent clients against a 3- and a 5-member etcdpp cluster
// while a nemesis kills, pauses, cuts off and crashes members (failpoints), defragments and
// compacts; then checker.h validates the recorded history. tests/robustness/README.md.
//
// Each case runs ETCDPP_ROBUSTNESS_SECONDS of load (default 60: the CI run) with
// ETCDPP_ROBUSTNESS_SEED (default: from the clock, printed) and the faults
// ETCDPP_ROBUSTNESS_NEMESIS names (a comma list of kill, pause, cut, failpoint, defrag, compact;
// default all) and writes its history to the member temp dirs it keeps when it fails. Longer and
// repeated runs:
//   ETCDPP_ROBUSTNESS_SECONDS=60 build/bin/robustness_test --gtest_repeat=20
//
// Needs a build with the server's test hooks (the peer fault switch) and failpoints
// (-DETCDPP_TEST_HOOKS=ON, as scripts/test.sh builds); without them the nemesis leaves out what
// the build cannot do, and says so.

#include <signal.h>

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/failpoint.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/cluster_ops.h"
#include "harness/grpc_util.h"
#include "robustness/checker.h"
#include "robustness/history.h"

namespace etcdpp::robustness {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;
using testing::ClusterOptions;
using testing::ContextWithDeadline;
using testing::FaultCluster;

constexpr milliseconds kRpc{2000};
constexpr int kClients = 6;
constexpr int kWatchers = 3;
constexpr int kKeys = 10;
constexpr char kPrefix[] = "/rb/";
constexpr char kPrefixEnd[] = "/rb0";  // the range end of the prefix "/rb/"
constexpr int64_t kLeaseTtl = 3;

Nanos Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// The members' client endpoints; each thread keeps its own channels (a channel per member).
class Endpoints {
 public:
  explicit Endpoints(std::vector<std::string> eps) : eps_(std::move(eps)) {
    for (const std::string& ep : eps_) channels_.push_back(testing::NewChannel(ep));
  }
  size_t size() const { return eps_.size(); }
  std::shared_ptr<grpc::Channel> channel(size_t i) const { return channels_[i]; }

 private:
  std::vector<std::string> eps_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

// ---- clients: puts, deletes, reads and compare-and-set txns on a few keys ------------------

class Client {
 public:
  Client(int id, const std::vector<std::string>& eps, uint64_t seed)
      : id_(id), eps_(eps), rng_(seed) {}

  void Run(const std::atomic<bool>& stop) {
    for (int n = 0; !stop && n < 1'000'000; ++n) {
      const std::string key = absl::StrCat(kPrefix, "k", rng_() % kKeys);
      const int pick = static_cast<int>(rng_() % 100);
      Op op;
      if (pick < 40) {
        op = Get(key);
      } else if (pick < 70) {
        op = Put(key, absl::StrCat("c", id_, "-", n));
      } else if (pick < 90) {
        op = Cas(key, absl::StrCat("c", id_, "-", n));
      } else {
        op = Delete(key);
      }
      const bool failed = op.outcome != Outcome::kOk;
      ops_.push_back(std::move(op));
      std::this_thread::sleep_for(milliseconds(failed ? 50 : 10));
    }
  }
  // One linearizable read of every key (after the faults are healed).
  void ReadAll() {
    for (int k = 0; k < kKeys; ++k) ops_.push_back(Get(absl::StrCat(kPrefix, "k", k)));
  }
  std::vector<Op>& ops() { return ops_; }

 private:
  pb::KV::Stub& Kv() {
    const size_t i = rng_() % eps_.size();
    if (stubs_.size() < eps_.size()) stubs_.resize(eps_.size());
    if (!stubs_[i]) stubs_[i] = pb::KV::NewStub(eps_.channel(i));
    return *stubs_[i];
  }
  Op Begin(OpKind kind, const std::string& key) {
    Op op;
    op.client = id_;
    op.kind = kind;
    op.key = key;
    op.invoke = Now();
    return op;
  }
  // A write's error leaves it unknown (it may have been committed); a read's proves nothing.
  void End(Op& op, const grpc::Status& st, const pb::ResponseHeader& h) {
    if (st.ok()) {
      op.ret = Now();
      op.outcome = Outcome::kOk;
      op.revision = h.revision();
    } else {
      op.outcome = op.kind == OpKind::kGet ? Outcome::kFailed : Outcome::kUnknown;
    }
  }
  // One KV call on a random member, its outcome recorded in `op`.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (pb::KV::Stub::*rpc)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp, Op& op) {
    grpc::Status st = (Kv().*rpc)(ContextWithDeadline(kRpc).get(), req, resp);
    End(op, st, resp->header());
    return st;
  }
  void Remember(const std::string& key, std::optional<std::string> v) { seen_[key] = std::move(v); }

  Op Get(const std::string& key) {
    Op op = Begin(OpKind::kGet, key);
    pb::RangeRequest req;
    req.set_key(key);
    pb::RangeResponse resp;
    grpc::Status st = Call(&pb::KV::Stub::Range, req, &resp, op);
    if (st.ok() && resp.kvs_size() > 0) {
      op.read_value = resp.kvs(0).value();
      op.read_mod_revision = resp.kvs(0).mod_revision();
    }
    if (st.ok()) Remember(key, op.read_value);
    return op;
  }
  Op Put(const std::string& key, const std::string& value) {
    Op op = Begin(OpKind::kPut, key);
    op.value = value;
    pb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    pb::PutResponse resp;
    grpc::Status st = Call(&pb::KV::Stub::Put, req, &resp, op);
    if (st.ok()) Remember(key, value);
    return op;
  }
  Op Delete(const std::string& key) {
    Op op = Begin(OpKind::kDelete, key);
    pb::DeleteRangeRequest req;
    req.set_key(key);
    pb::DeleteRangeResponse resp;
    grpc::Status st = Call(&pb::KV::Stub::DeleteRange, req, &resp, op);
    op.deleted = resp.deleted();
    if (st.ok()) Remember(key, std::nullopt);
    return op;
  }
  // if value(key) == what this client last saw there, then put, else get.
  Op Cas(const std::string& key, const std::string& value) {
    Op op = Begin(OpKind::kCas, key);
    op.value = value;
    op.expect = seen_[key];
    pb::TxnRequest req;
    pb::Compare* c = req.add_compare();
    c->set_key(key);
    if (op.expect) {
      c->set_target(pb::Compare::VALUE);
      c->set_result(pb::Compare::EQUAL);
      c->set_value(*op.expect);
    } else {
      c->set_target(pb::Compare::VERSION);  // absent: version 0
      c->set_result(pb::Compare::EQUAL);
      c->set_version(0);
    }
    pb::PutRequest* put = req.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
    req.add_failure()->mutable_request_range()->set_key(key);
    pb::TxnResponse resp;
    grpc::Status st = Call(&pb::KV::Stub::Txn, req, &resp, op);
    if (st.ok()) {
      op.succeeded = resp.succeeded();
      if (op.succeeded) {
        Remember(key, value);
      } else if (resp.responses_size() > 0) {
        const pb::RangeResponse& r = resp.responses(0).response_range();
        if (r.kvs_size() > 0) {
          op.read_value = r.kvs(0).value();
          op.read_mod_revision = r.kvs(0).mod_revision();
        }
        Remember(key, op.read_value);
      }
    }
    return op;
  }

  const int id_;
  Endpoints eps_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<pb::KV::Stub>> stubs_;
  std::map<std::string, std::optional<std::string>> seen_;
  std::vector<Op> ops_;
};

// ---- watchers: the whole prefix from revision 1, resumed after every break ------------------

class Watcher {
 public:
  Watcher(int id, const std::vector<std::string>& eps, uint64_t seed) : eps_(eps), rng_(seed) {
    log_.watcher = id;
  }

  // Watches until `stop` and (then) until it has received `until` (when > 0), or `give_up`.
  void Run(const std::atomic<bool>& stop, const std::atomic<int64_t>& until, Nanos give_up) {
    int64_t next = 1;
    for (int streams = 0; streams < 100'000 && Now() < give_up; ++streams) {
      if (stop && until > 0 && next > until) return;
      // Streams end after a few seconds by deadline, so that resumption is exercised all the
      // time (and a stream on a member cut off from the others moves on).
      auto ctx = ContextWithDeadline(milliseconds(2000 + static_cast<int>(rng_() % 4000)));
      auto stub = pb::Watch::NewStub(eps_.channel(rng_() % eps_.size()));
      auto stream = stub->Watch(ctx.get());
      pb::WatchRequest req;
      pb::WatchCreateRequest* create = req.mutable_create_request();
      create->set_key(kPrefix);
      create->set_range_end(kPrefixEnd);
      create->set_start_revision(next);
      log_.starts.push_back(next);
      if (!stream->Write(req)) {
        ctx->TryCancel();
        stream->Finish().IgnoreError();
        std::this_thread::sleep_for(milliseconds(100));
        continue;
      }
      pb::WatchResponse resp;
      while (stream->Read(&resp)) {
        if (resp.compact_revision() > 0) {
          // The nemesis compacts only below every watcher's progress: record it as a gap.
          log_.compacted = true;
          next = resp.compact_revision();
          break;
        }
        if (resp.canceled()) break;
        const Nanos at = Now();
        for (const auto& ev : resp.events()) {
          Event e;
          e.revision = ev.kv().mod_revision();
          e.is_delete = ev.type() == mvccpb::Event::DELETE;
          e.key = ev.kv().key();
          if (!e.is_delete) e.value = ev.kv().value();
          log_.events.push_back(std::move(e));
          log_.received.push_back(at);
          next = ev.kv().mod_revision() + 1;
          progress_ = ev.kv().mod_revision();
        }
        if (stop && until > 0 && next > until) break;
      }
      ctx->TryCancel();
      stream->Finish().IgnoreError();
      if (!(stop && until > 0 && next > until)) std::this_thread::sleep_for(milliseconds(50));
    }
  }
  int64_t progress() const { return progress_; }
  struct Log : WatchLog {
    bool compacted = false;
  };
  Log& log() { return log_; }

 private:
  Endpoints eps_;
  std::mt19937_64 rng_;
  Log log_;
  std::atomic<int64_t> progress_{0};
};

// ---- leases: granted, attached to a key, kept alive a while, then left to expire ------------

class Leaser {
 public:
  Leaser(const std::vector<std::string>& eps, uint64_t seed) : eps_(eps), rng_(seed) {}

  void Run(const std::atomic<bool>& stop) {
    for (int n = 0; !stop && n < 100'000; ++n) {
      auto ch = eps_.channel(rng_() % eps_.size());
      auto lease = pb::Lease::NewStub(ch);
      LeaseLog l;
      l.ttl_seconds = kLeaseTtl;
      pb::LeaseGrantRequest g;
      g.set_ttl(kLeaseTtl);
      pb::LeaseGrantResponse gr;
      const Nanos granted = Now();
      if (!lease->LeaseGrant(ContextWithDeadline(kRpc).get(), g, &gr).ok() || gr.id() == 0) {
        std::this_thread::sleep_for(milliseconds(200));
        continue;
      }
      l.id = gr.id();
      l.key = absl::StrCat(kPrefix, "lease/", gr.id());
      l.refreshed.push_back(granted);
      Op op;
      op.client = 100;
      op.kind = OpKind::kPut;
      op.key = l.key;
      op.value = absl::StrCat("lease-", gr.id());
      op.invoke = Now();
      pb::PutRequest p;
      p.set_key(l.key);
      p.set_value(op.value);
      p.set_lease(gr.id());
      pb::PutResponse pr;
      if (pb::KV::NewStub(ch)->Put(ContextWithDeadline(kRpc).get(), p, &pr).ok()) {
        op.ret = l.key_put_return = Now();
        op.outcome = Outcome::kOk;
        op.revision = pr.header().revision();
      }
      ops_.push_back(op);
      const int keepalives = static_cast<int>(rng_() % 4);
      for (int k = 0; k < keepalives && !stop; ++k) {
        std::this_thread::sleep_for(milliseconds(1000));
        const Nanos sent = Now();
        auto ctx = ContextWithDeadline(kRpc);
        auto stream =
            pb::Lease::NewStub(eps_.channel(rng_() % eps_.size()))->LeaseKeepAlive(ctx.get());
        pb::LeaseKeepAliveRequest ka;
        ka.set_id(gr.id());
        pb::LeaseKeepAliveResponse kr;
        if (stream->Write(ka) && stream->Read(&kr) && kr.ttl() > 0) l.refreshed.push_back(sent);
        ctx->TryCancel();
        stream->Finish().IgnoreError();
      }
      leases_.push_back(std::move(l));
      std::this_thread::sleep_for(milliseconds(500));
    }
  }
  std::vector<LeaseLog>& leases() { return leases_; }
  std::vector<Op>& ops() { return ops_; }

 private:
  Endpoints eps_;
  std::mt19937_64 rng_;
  std::vector<LeaseLog> leases_;
  std::vector<Op> ops_;
};

// ---- the nemesis -----------------------------------------------------------------------------

// Crash-prone moments every write reaches; the member panics after a random number of hits.
constexpr const char* kCrashFailpoints[] = {
    "raftBeforeSave",
    "raftAfterSave",
    "walBeforeSync",
    "walAfterSync",
    "beforeCommit",
    "afterCommit",
    "beforeApplyOneEntryNormal",
    "raftBeforeFollowerSend",
    "raftBeforeAdvance",
};

class Nemesis {
 public:
  // The faults: kill, pause, cut, failpoint, defrag, compact; `only` (a comma list of them,
  // ETCDPP_ROBUSTNESS_NEMESIS) narrows them down.
  static constexpr const char* kKinds[] = {"kill",      "pause",  "cut",
                                           "failpoint", "defrag", "compact"};

  Nemesis(FaultCluster& c, bool cut_links, uint64_t seed,
          const std::vector<std::unique_ptr<Watcher>>& watchers, const std::string& only)
      : c_(c), cut_links_(cut_links), rng_(seed), watchers_(watchers) {
    for (int k = 0; k < static_cast<int>(std::size(kKinds)); ++k) {
      if (only.empty() ||
          absl::StrContains(absl::StrCat(",", only, ","), absl::StrCat(",", kKinds[k], ","))) {
        kinds_.push_back(k);
      }
    }
  }
  bool empty() const { return kinds_.empty(); }

  void Run(const std::atomic<bool>& stop) {
    for (int round = 0; !stop && round < 10'000; ++round) {
      Sleep(500 + rng_() % 1000);
      CheckAlive();
      if (stop) break;
      const int victim = static_cast<int>(rng_() % static_cast<uint64_t>(c_.size()));
      const int fault = kinds_[rng_() % kinds_.size()];
      switch (fault) {
        case 0:
          Kill(victim);
          break;
        case 1:
          Pause(victim);
          break;
        case 2:
          if (cut_links_) {
            CutOff(victim);
          } else {
            Kill(victim);
          }
          break;
        case 3:
          if (failpoint::kBuiltIn) {
            Crash(victim);
          } else {
            Kill(victim);
          }
          break;
        case 4:
          Defrag(victim);
          break;
        case 5:
          Compact(victim);
          break;
      }
    }
  }
  // Every member up and connected again (after Run returns).
  void Heal() {
    CheckAlive();
    for (int i = 0; i < c_.size(); ++i) {
      Signal(i, SIGCONT);
      if (cut_links_) c_.CutOff(i, {}).IgnoreError();
      if (!c_.member(i).Running()) Restart(i);
    }
  }
  const std::vector<std::string>& log() const { return log_; }
  // Restarts that failed, and members found dead that no fault killed (a crash).
  int failures() const { return failures_; }

 private:
  void Sleep(uint64_t ms) { std::this_thread::sleep_for(milliseconds(ms)); }
  // Only to a member process that runs (never kill(-1, ...)).
  bool Signal(int i, int sig) {
    testing::ServerProcess& m = c_.member(i);
    return m.Running() && m.pid() > 0 && kill(m.pid(), sig) == 0;
  }
  void Note(std::string s) { log_.push_back(std::move(s)); }
  // Between faults every member runs: one that does not died on its own.
  void CheckAlive() {
    for (int i = 0; i < c_.size(); ++i) {
      testing::ServerProcess& m = c_.member(i);
      if (m.Running()) continue;
      ++failures_;
      Note(absl::StrCat("member ", i, " died on its own (wait status ", m.last_wait_status(),
                        "):\n", m.LogTail(5)));
      Restart(i);
    }
  }
  void Restart(int i) {
    absl::Status st = c_.member(i).Restart(absl::Seconds(30));
    if (!st.ok()) {
      ++failures_;
      Note(absl::StrCat("restart of member ", i, " failed: ", st.message()));
    }
  }
  void Kill(int i) {
    Note(absl::StrCat("kill ", i));
    c_.member(i).Kill().IgnoreError();
    Sleep(500 + rng_() % 1500);
    Restart(i);
  }
  void Pause(int i) {
    const uint64_t ms = 500 + rng_() % 2500;
    Note(absl::StrCat("pause ", i, " for ", ms, " ms"));
    if (!Signal(i, SIGSTOP)) return;
    Sleep(ms);
    Signal(i, SIGCONT);
  }
  void CutOff(int i) {
    std::vector<int> others;
    for (int j = 0; j < c_.size(); ++j) {
      if (j != i) others.push_back(j);
    }
    const uint64_t ms = 1000 + rng_() % 2000;
    Note(absl::StrCat("cut off ", i, " for ", ms, " ms"));
    if (!c_.CutOff(i, others).ok()) return;
    Sleep(ms);
    c_.CutOff(i, {}).IgnoreError();
  }
  void Crash(int i) {
    const char* fp = kCrashFailpoints[rng_() % std::size(kCrashFailpoints)];
    const std::string terms = absl::StrCat(fp, "=", 1 + rng_() % 50, "*off->panic");
    Note(absl::StrCat("restart ", i, " with failpoint ", terms));
    testing::ServerProcess& m = c_.member(i);
    m.Kill().IgnoreError();
    m.set_extra_env({absl::StrCat("GOFAIL_FAILPOINTS=", terms)});
    // Not waited for: it may die at the failpoint before it is ready.
    if (!m.Launch().ok()) ++failures_;
    // It dies when the failpoint is hit; if the load does not get it there, it is killed.
    for (int w = 0; w < 50 && m.Running(); ++w) Sleep(100);
    m.Kill().IgnoreError();
    m.set_extra_env({});
    Restart(i);
  }
  void Defrag(int i) {
    Note(absl::StrCat("defragment ", i));
    pb::DefragmentRequest req;
    pb::DefragmentResponse resp;
    pb::Maintenance::NewStub(testing::NewChannel(c_.member(i).Endpoint()))
        ->Defragment(ContextWithDeadline(milliseconds(10000)).get(), req, &resp)
        .ok();
  }
  // Compacts below every watcher's progress, so that no watcher loses events to it.
  void Compact(int i) {
    int64_t floor = INT64_MAX;
    for (const auto& w : watchers_) floor = std::min(floor, w->progress());
    if (floor < 20) return;
    const int64_t rev = floor - 10;
    Note(absl::StrCat("compact to ", rev, " through ", i));
    pb::CompactionRequest req;
    req.set_revision(rev);
    pb::CompactionResponse resp;
    pb::KV::NewStub(testing::NewChannel(c_.member(i).Endpoint()))
        ->Compact(ContextWithDeadline(kRpc).get(), req, &resp)
        .ok();
  }

  FaultCluster& c_;
  const bool cut_links_;
  std::mt19937_64 rng_;
  const std::vector<std::unique_ptr<Watcher>>& watchers_;
  std::vector<std::string> log_;
  int failures_ = 0;
  std::vector<int> kinds_;  // indexes into kKinds
};

// ---- the test --------------------------------------------------------------------------------

void WriteHistory(const History& h, const std::string& path) {
  std::ofstream out(path);
  for (const Op& op : h.ops) {
    out << "op client=" << op.client << " kind=" << static_cast<int>(op.kind) << " key=" << op.key
        << " value=" << op.value << " expect=" << (op.expect ? *op.expect : "(absent)")
        << " invoke=" << op.invoke << " ret=" << op.ret
        << " outcome=" << static_cast<int>(op.outcome) << " rev=" << op.revision
        << " read=" << (op.read_value ? *op.read_value : "(absent)")
        << " mod=" << op.read_mod_revision << " succeeded=" << op.succeeded
        << " deleted=" << op.deleted << "\n";
  }
  for (const WatchLog& w : h.watches) {
    for (size_t i = 0; i < w.events.size(); ++i) {
      const Event& e = w.events[i];
      out << "event watcher=" << w.watcher << " rev=" << e.revision
          << (e.is_delete ? " DELETE " : " PUT ") << e.key << "=" << e.value
          << " at=" << w.received[i] << "\n";
    }
  }
  for (const LeaseLog& l : h.leases) {
    out << "lease " << l.id << " ttl=" << l.ttl_seconds << " key=" << l.key
        << " refreshed=" << absl::StrJoin(l.refreshed, ",") << "\n";
  }
}

class RobustnessTest : public ::testing::TestWithParam<int> {};

TEST_P(RobustnessTest, NoViolationsUnderFaults) {
  if (std::string why = testing::WhyNotRunnable(testing::FlavorByName("etcdpp")); !why.empty()) {
    GTEST_SKIP() << why;
  }
  const int seconds = EnvInt("ETCDPP_ROBUSTNESS_SECONDS", 60);
  const uint64_t seed = static_cast<uint64_t>(
      EnvInt("ETCDPP_ROBUSTNESS_SEED", static_cast<int>(Now() % 1'000'000'007)));
  std::cout << "robustness: " << GetParam() << " members, " << seconds << " s, seed " << seed
            << std::endl;
  const std::string no_cuts = testing::EnablePeerFaults();
  if (!no_cuts.empty()) std::cout << "robustness: no link cuts: " << no_cuts << std::endl;
  if (!failpoint::kBuiltIn)
    std::cout << "robustness: no failpoint crashes (a build without them)\n";

  ClusterOptions o;
  o.binary = testing::BinaryUnderTest();
  o.size = GetParam();
  // Short timeouts for many elections in a short run; frequent snapshots, so that a member
  // that was down catches up by one now and then.
  o.extra_flags = {"--heartbeat-interval=50", "--election-timeout=500", "--snapshot-count=500",
                   "--experimental-snapshot-catchup-entries=100"};
  auto started = FaultCluster::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<FaultCluster> c = std::move(*started);
  std::vector<std::string> eps;
  for (int i = 0; i < c->size(); ++i) eps.push_back(c->member(i).Endpoint());

  std::atomic<bool> stop{false};
  std::atomic<bool> stop_watch{false};
  std::atomic<int64_t> until{0};
  const Nanos give_up = Now() + (static_cast<int64_t>(seconds) + 180) * 1'000'000'000;

  std::vector<std::unique_ptr<Watcher>> watchers;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWatchers; ++w) {
    watchers.push_back(std::make_unique<Watcher>(w, eps, seed * 31 + static_cast<uint64_t>(w)));
  }
  for (auto& w : watchers) {
    threads.emplace_back([&, wp = w.get()] { wp->Run(stop_watch, until, give_up); });
  }
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::thread> client_threads;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(i, eps, seed * 17 + static_cast<uint64_t>(i)));
  }
  for (auto& cl : clients) client_threads.emplace_back([&, cp = cl.get()] { cp->Run(stop); });
  Leaser leaser(eps, seed * 7);
  client_threads.emplace_back([&] { leaser.Run(stop); });
  const char* only = std::getenv("ETCDPP_ROBUSTNESS_NEMESIS");
  Nemesis nemesis(*c, no_cuts.empty(), seed * 3, watchers, only ? only : "");
  ASSERT_FALSE(nemesis.empty()) << "ETCDPP_ROBUSTNESS_NEMESIS names no fault of: kill, pause, "
                                   "cut, failpoint, defrag, compact";
  // The harness's members die with the thread that launched them (PR_SET_PDEATHSIG), so the
  // nemesis thread, which restarts them, lives until the test is done with them.
  std::atomic<bool> healed{false};
  std::atomic<bool> finished{false};
  std::thread nemesis_thread([&] {
    nemesis.Run(stop);
    nemesis.Heal();
    healed = true;
    while (!finished && Now() < give_up) std::this_thread::sleep_for(milliseconds(50));
  });

  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : client_threads) t.join();
  while (!healed && Now() < give_up) std::this_thread::sleep_for(milliseconds(50));

  // Converged: one more linearizable read of every key, then the watchers catch up to the
  // final revision.
  auto dumps = c->WaitConverged(absl::Seconds(90));
  EXPECT_TRUE(dumps.ok()) << dumps.status();
  clients[0]->ReadAll();
  int64_t final_rev = 0;
  for (int i = 0; i < c->size(); ++i) {
    auto st = testing::MemberStatus(c->member(i).Endpoint(), kRpc);
    if (st.ok()) final_rev = std::max(final_rev, st->header().revision());
  }
  until = final_rev;
  stop_watch = true;
  for (auto& t : threads) t.join();
  const int nemesis_failures = nemesis.failures();

  History h;
  for (auto& cl : clients) {
    for (Op& op : cl->ops()) h.ops.push_back(std::move(op));
  }
  for (Op& op : leaser.ops()) h.ops.push_back(std::move(op));
  h.leases = std::move(leaser.leases());
  bool compacted = false;
  for (auto& w : watchers) {
    compacted |= w->log().compacted;
    h.watches.push_back(w->log());
  }
  const Report r = Check(h);
  int answered = 0;
  for (const Op& op : h.ops) answered += op.outcome == Outcome::kOk ? 1 : 0;
  std::cout << "robustness: " << h.ops.size() << " operations (" << answered << " answered), "
            << h.leases.size() << " leases, nemesis: " << absl::StrJoin(nemesis.log(), "; ")
            << "\nrobustness: " << r.Summary() << std::endl;
  EXPECT_FALSE(compacted) << "a watcher was compacted past (the nemesis compacts below them)";
  EXPECT_EQ(nemesis_failures, 0) << absl::StrJoin(nemesis.log(), "\n");
  for (const auto& w : watchers) {
    EXPECT_GE(w->progress(), final_rev)
        << "watcher " << w->log().watcher << " did not catch up to revision " << final_rev;
  }
  EXPECT_GT(answered, 100) << "too little load got through to check anything";
  for (const Violation& v : r.violations) {
    if (!v.detail.empty()) ADD_FAILURE() << v.kind << ": " << v.detail;
  }
  EXPECT_TRUE(r.violations.empty()) << r.Summary();
  if (HasFailure()) {
    const std::string path = c->member(0).temp_dir() + "/robustness-history.txt";
    WriteHistory(h, path);
    c->KeepTempDirs();
    std::cout << "robustness: history in " << path << ", seed " << seed << std::endl;
  }
  finished = true;
  nemesis_thread.join();
}

INSTANTIATE_TEST_SUITE_P(Members, RobustnessTest, ::testing::Values(3, 5),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return absl::StrCat(p.param, "Members");
                         });

}  // namespace
}  // namespace etcdpp::robustness
