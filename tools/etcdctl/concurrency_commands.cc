// lock and elect (ctlv3/command/{lock,elect}_command.go) on the server's v3lock and
// v3election services. A session is a lease (TTL --ttl for lock, 60 s for elect) kept alive in
// the background; SIGINT/SIGTERM releases the lock or resigns, then exits. As etcdctl's, the
// session is not closed on exit: its lease lives until its TTL runs out.

#include <signal.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "child_process.h"
#include "commands.h"
#include "kv_print.h"
#include "output.h"

namespace etcdpp::etcdctl {
namespace {

// A lease with a keep-alive thread; Expired() once the server stops renewing it.
class Session {
 public:
  Session(Client& c, int64_t ttl) : c_(c), ttl_(ttl) {}
  ~Session() {
    ctx_done_ = true;
    if (ctx_) ctx_->TryCancel();
    if (keeper_.joinable()) keeper_.join();
  }

  grpc::Status Start() {
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(ttl_);
    etcdserverpb::LeaseGrantResponse r;
    grpc::Status st =
        c_.Unary([&](grpc::ClientContext* ctx) { return c_.lease().LeaseGrant(ctx, req, &r); });
    if (!st.ok()) return st;
    lease_ = r.id();
    ctx_ = c_.NewContext(absl::ZeroDuration());
    keeper_ = std::thread([this] { KeepAlive(); });
    return st;
  }

  int64_t lease() const { return lease_; }
  bool Expired() const { return expired_.load(); }

 private:
  void KeepAlive() {
    auto stream = c_.lease().LeaseKeepAlive(ctx_.get());
    etcdserverpb::LeaseKeepAliveRequest req;
    req.set_id(lease_);
    etcdserverpb::LeaseKeepAliveResponse r;
    while (stream->Write(req) && stream->Read(&r) && r.ttl() > 0) {
      for (int i = 0; i < std::max<int64_t>(1, r.ttl() / 3) * 10 && !ctx_done_; ++i) {
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    expired_ = true;
  }

  Client& c_;
  const int64_t ttl_;
  int64_t lease_ = 0;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::thread keeper_;  // the KeepAlive loop
  std::atomic<bool> expired_{false};
  std::atomic<bool> ctx_done_{false};
};

// SIGINT/SIGTERM, taken by a thread of its own (blocked in every other thread, so construct it
// before the client starts gRPC's threads): fired() turns true and the call being waited for
// is cancelled, as etcdctl's signal goroutine cancels its context.
class Interrupts {
 public:
  Interrupts() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Interrupts() {
    stop_ = true;
    thread_.join();
  }

  // Cancels ctx when a signal comes (at once if one came already); null to forget it.
  void Watch(grpc::ClientContext* ctx) {
    std::lock_guard<std::mutex> l(mu_);
    ctx_ = ctx;
    if (ctx_ != nullptr && fired_) ctx_->TryCancel();
  }
  bool fired() const { return fired_.load(); }

  // Waits for a signal (true) or for the session to expire (false).
  bool WaitFor(const Session& s) const {
    while (!fired_ && !s.Expired()) absl::SleepFor(absl::Milliseconds(50));
    return fired_;
  }

 private:
  void Loop() {
    timespec tick{0, 100 * 1000 * 1000};
    while (!stop_) {
      if (sigtimedwait(&set_, nullptr, &tick) <= 0) continue;
      fired_ = true;
      std::lock_guard<std::mutex> l(mu_);
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
  }

  sigset_t set_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> fired_{false};
  std::mutex mu_;
  grpc::ClientContext* ctx_ = nullptr;  // guarded by mu_; not owned, outlives Watch's caller
  std::thread thread_;                  // Loop
};

int PrintKey(Client& c, const Output& out, const std::string& key) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  etcdserverpb::RangeResponse r;
  auto ctx = c.NewContext(absl::ZeroDuration());
  grpc::Status st = c.Logged(c.kv().Range(ctx.get(), req, &r));
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  if (r.kvs_size() == 0) return Fail(kExitError, "lock lost on init");
  int rc = PrintGet(out, false, r);
  std::cout << std::flush;
  return rc;
}

int RunLock(Invocation& inv) {
  if (inv.args.empty()) {
    return Fail(kExitBadArgs, "lock takes a lock name argument and an optional command to execute");
  }
  Interrupts sig;
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  Session s(*c, inv.flags->GetInt64("ttl"));
  grpc::Status st = s.Start();
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  v3lockpb::LockRequest req;
  req.set_name(inv.args[0]);
  req.set_lease(s.lease());
  v3lockpb::LockResponse r;
  auto ctx = c->NewContext(absl::ZeroDuration());
  sig.Watch(ctx.get());
  st = c->Logged(c->lock().Lock(ctx.get(), req, &r));
  sig.Watch(nullptr);
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  auto unlock = [&] {
    v3lockpb::UnlockRequest u;
    u.set_key(r.key());
    v3lockpb::UnlockResponse ur;
    auto uctx = c->NewContext();
    return c->Logged(c->lock().Unlock(uctx.get(), u, &ur));
  };
  if (inv.args.size() > 1) {
    std::string err = RunChild(
        {inv.args.begin() + 1, inv.args.end()},
        {{"ETCD_LOCK_KEY", r.key()}, {"ETCD_LOCK_REV", absl::StrCat(r.header().revision())}});
    int rc = err.empty() ? kExitSuccess : Fail(kExitError, err);
    grpc::Status ust = unlock();
    if (rc != kExitSuccess) return rc;
    return ust.ok() ? kExitSuccess : Fail(kExitError, ErrorText(ust));
  }
  if (int rc = PrintKey(*c, out, r.key()); rc != kExitSuccess) return rc;
  if (!sig.WaitFor(s)) return Fail(kExitError, "session expired");
  grpc::Status ust = unlock();
  return ust.ok() ? kExitSuccess : Fail(kExitError, ErrorText(ust));
}

int Observe(Client& c, const Output& out, const std::string& name, Interrupts& sig) {
  auto ctx = c.NewContext(absl::ZeroDuration());
  v3electionpb::LeaderRequest req;
  req.set_name(name);
  sig.Watch(ctx.get());
  auto stream = c.election().Observe(ctx.get(), req);
  v3electionpb::LeaderResponse r;
  while (stream->Read(&r)) {
    etcdserverpb::RangeResponse g;
    *g.mutable_header() = r.header();
    *g.add_kvs() = r.kv();
    g.set_count(1);
    PrintGet(out, false, g);
    std::cout << std::flush;
  }
  sig.Watch(nullptr);
  if (sig.fired()) return kExitSuccess;
  return Fail(kExitError, "elect: observer lost");
}

int Campaign(Client& c, const Output& out, const std::string& name, const std::string& value,
             Interrupts& sig) {
  Session s(c, 60);
  grpc::Status st = s.Start();
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  v3electionpb::CampaignRequest req;
  req.set_name(name);
  req.set_lease(s.lease());
  req.set_value(value);
  v3electionpb::CampaignResponse r;
  auto ctx = c.NewContext(absl::ZeroDuration());
  sig.Watch(ctx.get());
  st = c.Logged(c.election().Campaign(ctx.get(), req, &r));
  sig.Watch(nullptr);
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  if (int rc = PrintKey(c, out, r.leader().key()); rc != kExitSuccess) return rc;
  if (!sig.WaitFor(s)) return Fail(kExitError, "elect: session expired");
  v3electionpb::ResignRequest rr;
  *rr.mutable_leader() = r.leader();
  v3electionpb::ResignResponse rresp;
  auto rctx = c.NewContext();
  st = c.Logged(c.election().Resign(rctx.get(), rr, &rresp));
  return st.ok() ? kExitSuccess : Fail(kExitError, ErrorText(st));
}

int RunElect(Invocation& inv) {
  if (inv.args.size() != 1 && inv.args.size() != 2) {
    return Fail(kExitBadArgs,
                "elect takes one election name argument and an optional proposal argument");
  }
  Interrupts sig;
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  const bool listen = inv.flags->GetBool("listen");
  if (inv.args.size() == 1) {
    if (!listen) return Fail(kExitBadArgs, "no proposal argument but -l not set");
    return Observe(*c, out, inv.args[0], sig);
  }
  if (listen) return Fail(kExitBadArgs, "proposal given but -l is set");
  return Campaign(*c, out, inv.args[0], inv.args[1], sig);
}

}  // namespace

void AddConcurrencyCommands(Command& root) {
  auto lock =
      NewCommand("lock <lockname> [exec-command arg1 arg2 ...]", "Acquires a named lock", RunLock);
  lock->flags.Add("ttl", "", FlagType::kInt, "10", "timeout for session");
  root.Add(std::move(lock));
  auto elect = NewCommand("elect <election-name> [proposal]",
                          "Observes and participates in leader election", RunElect);
  elect->flags.AddBool("listen", false, "observation mode", "l");
  root.Add(std::move(elect));
}

}  // namespace etcdpp::etcdctl
