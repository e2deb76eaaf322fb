// make-mirror [options] <destination> (ctlv3/command/make_mirror_command.go, clientv3/mirror):
// reads the source's revision (a linearizable get of "foo"), copies every key under --prefix as
// of that revision to the destination in batches of 1000 (plain puts: leases are not carried),
// then watches the source from the next revision and applies each revision's events at the
// destination in one transaction. Keys are renamed by replacing the first occurrence of
// --prefix with --dest-prefix (--prefix when neither --dest-prefix nor --no-dest-prefix is
// given). Every 30 s the number of keys mirrored so far is printed on stdout. It runs until
// interrupted; a compacted watch or a failed destination write ends it with "Error: ...".
// Calls have no deadline (etcd's context.TODO()); connecting is bounded by --dial-timeout.

#include <atomic>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common/loop_thread.h"
#include "kv_ops.h"

namespace etcdpp::etcdctl {
namespace {

constexpr int64_t kBatchLimit = 1000;  // clientv3/mirror's batchLimit
constexpr std::chrono::seconds kReportEvery{30};
constexpr absl::Duration kWatchRetry = absl::Seconds(1);

// Prints the count every 30 s (etcd's goroutine: Sleep, then Println) until destroyed.
class ProgressPrinter {
 public:
  ProgressPrinter() {
    loop_.Start("etcdctl-mirror", [this] { Loop(); });
  }
  void Add(int64_t n) { total_ += n; }

 private:
  void Loop() {
    MutexLock l(loop_.mu());
    while (loop_.SleepFor(kReportEvery)) std::cout << total_.load() << std::endl;
  }

  std::atomic<int64_t> total_{0};
  LoopThread loop_;  // Loop(); declared last, so stopped (joined) first
};

// The source's current revision (clientv3/mirror's Get of "foo").
grpc::Status CurrentRevision(Client& src, int64_t* rev) {
  etcdserverpb::RangeRequest req;
  req.set_key("foo");
  etcdserverpb::RangeResponse r;
  grpc::Status st = src.Logged(src.kv().Range(src.NewContext(absl::ZeroDuration()).get(), req, &r));
  *rev = r.header().revision();
  return st;
}

class Mirror {
 public:
  Mirror(Client& src, Client& dst, std::string prefix, std::string dest_prefix)
      : src_(src), dst_(dst), prefix_(std::move(prefix)), dest_prefix_(std::move(dest_prefix)) {}

  // SyncBase: every key under the prefix as of rev, put at the destination.
  grpc::Status SyncBase(int64_t rev) {
    etcdserverpb::RangeRequest req;
    req.set_key(prefix_.empty() ? std::string(1, '\0') : prefix_);
    req.set_range_end(prefix_.empty() ? std::string(1, '\0') : PrefixRangeEnd(prefix_));
    req.set_limit(kBatchLimit);
    req.set_revision(rev);
    for (;;) {
      etcdserverpb::RangeResponse r;
      grpc::Status st =
          src_.Logged(src_.kv().Range(src_.NewContext(absl::ZeroDuration()).get(), req, &r));
      if (!st.ok()) return st;
      for (const mvccpb::KeyValue& kv : r.kvs()) {
        etcdserverpb::PutRequest put;
        put.set_key(Rename(kv.key()));
        put.set_value(kv.value());
        etcdserverpb::PutResponse pr;
        st = dst_.Logged(dst_.kv().Put(dst_.NewContext(absl::ZeroDuration()).get(), put, &pr));
        if (!st.ok()) return st;
        progress_.Add(1);
      }
      if (!r.more() || r.kvs().empty()) return grpc::Status::OK;
      req.set_key(r.kvs(r.kvs_size() - 1).key() + std::string(1, '\0'));
    }
  }

  // SyncUpdates: the source's events after rev, one destination txn per source revision. A
  // watch that breaks (the source unavailable) is opened again after the last revision seen,
  // as clientv3's watcher does; it returns only on an error.
  grpc::Status SyncUpdates(int64_t rev) {
    for (;;) {
      grpc::Status st = WatchFrom(&rev);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE) return st;
      absl::SleepFor(kWatchRetry);
    }
  }

 private:
  // strings.Replace(key, prefix, dest_prefix, 1).
  std::string Rename(const std::string& key) const {
    const size_t at = key.find(prefix_);
    if (at == std::string::npos) return key;
    return absl::StrCat(key.substr(0, at), dest_prefix_, key.substr(at + prefix_.size()));
  }

  // Watches from *rev + 1 and applies events; *rev follows the revisions applied.
  grpc::Status WatchFrom(int64_t* rev) {
    auto ctx = src_.NewContext(absl::ZeroDuration());
    auto stream = src_.watch().Watch(ctx.get());
    etcdserverpb::WatchRequest req;
    auto* create = req.mutable_create_request();
    create->set_key(prefix_.empty() ? std::string(1, '\0') : prefix_);
    create->set_range_end(prefix_.empty() ? std::string(1, '\0') : PrefixRangeEnd(prefix_));
    create->set_start_revision(*rev + 1);
    if (!stream->Write(req)) return stream->Finish();
    etcdserverpb::WatchResponse wr;
    while (stream->Read(&wr)) {
      if (wr.compact_revision() != 0) {
        ctx->TryCancel();
        return grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                            "etcdserver: mvcc: required revision has been compacted");
      }
      grpc::Status st = Apply(wr, rev);
      if (!st.ok()) {
        ctx->TryCancel();
        return st;
      }
    }
    return stream->Finish();
  }

  // The events of one watch response, a destination txn for each run of one revision.
  grpc::Status Apply(const etcdserverpb::WatchResponse& wr, int64_t* rev) {
    etcdserverpb::TxnRequest txn;
    int64_t last = 0;
    for (const mvccpb::Event& ev : wr.events()) {
      const int64_t next = ev.kv().mod_revision();
      if (last != 0 && next > last) {
        grpc::Status st = Commit(&txn, last, rev);
        if (!st.ok()) return st;
      }
      last = next;
      etcdserverpb::RequestOp* op = txn.add_success();
      if (ev.type() == mvccpb::Event::PUT) {
        op->mutable_request_put()->set_key(Rename(ev.kv().key()));
        op->mutable_request_put()->set_value(ev.kv().value());
      } else {
        op->mutable_request_delete_range()->set_key(Rename(ev.kv().key()));
      }
      progress_.Add(1);
    }
    return txn.success().empty() ? grpc::Status::OK : Commit(&txn, last, rev);
  }

  grpc::Status Commit(etcdserverpb::TxnRequest* txn, int64_t applied, int64_t* rev) {
    etcdserverpb::TxnResponse r;
    grpc::Status st =
        dst_.Logged(dst_.kv().Txn(dst_.NewContext(absl::ZeroDuration()).get(), *txn, &r));
    txn->Clear();
    if (st.ok()) *rev = applied;
    return st;
  }

  Client& src_;
  Client& dst_;
  const std::string prefix_;
  const std::string dest_prefix_;
  ProgressPrinter progress_;
};

// The destination's configuration: the global dial and keepalive settings, the --dest-* TLS
// flags, no user (clientConfig{..., acfg: nil} in etcd).
ClientConfig DestinationConfig(const FlagSet& f, const std::string& endpoint) {
  ClientConfig cfg;
  cfg.endpoints = {endpoint};
  cfg.dial_timeout = f.GetDuration("dial-timeout");
  cfg.command_timeout = f.GetDuration("command-timeout");  // bounds the dial only
  cfg.keepalive_time = f.GetDuration("keepalive-time");
  cfg.keepalive_timeout = f.GetDuration("keepalive-timeout");
  cfg.cert = f.GetString("dest-cert");
  cfg.key = f.GetString("dest-key");
  cfg.cacert = f.GetString("dest-cacert");
  cfg.insecure_transport = f.GetBool("dest-insecure-transport");
  return cfg;
}

int RunMakeMirror(Invocation& inv) {
  if (inv.args.size() != 1) return Fail(kExitBadArgs, "make-mirror takes one destination argument");
  const FlagSet& f = *inv.flags;
  CtlError err;
  std::unique_ptr<Client> dst = Client::Connect(DestinationConfig(f, inv.args[0]), &err);
  // clientv3.New's failure for the destination is ExitBadConnection.
  if (dst == nullptr) {
    return Fail(err.code == kExitError ? kExitBadConnection : err.code, err.message);
  }
  Output out;
  int code = 0;
  std::unique_ptr<Client> src = MustClient(inv, &out, &code);
  if (src == nullptr) return code;
  std::string prefix = f.GetString("prefix"), dest_prefix = f.GetString("dest-prefix");
  int64_t rev = 0;
  grpc::Status st = CurrentRevision(*src, &rev);
  if (f.GetBool("no-dest-prefix") && !dest_prefix.empty()) {
    return Fail(kExitBadArgs,
                "`--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose "
                "one");
  }
  if (!f.GetBool("no-dest-prefix") && dest_prefix.empty()) dest_prefix = prefix;
  Mirror mirror(*src, *dst, prefix, dest_prefix);
  if (st.ok()) st = mirror.SyncBase(rev);
  if (st.ok()) st = mirror.SyncUpdates(rev);
  return Fail(kExitError, ErrorText(st));
}

}  // namespace

void AddMakeMirrorCommand(Command& root) {
  auto mirror = NewCommand("make-mirror [options] <destination>",
                           "Makes a mirror at the destination etcd cluster", RunMakeMirror);
  FlagSet& mf = mirror->flags;
  mf.AddString("prefix", "", "Key-value prefix to mirror");
  mf.AddString(
      "dest-prefix", "",
      "destination prefix to mirror a prefix to a different prefix in the destination cluster");
  mf.AddBool("no-dest-prefix", false, "mirror key-values to the root of the destination cluster");
  mf.AddString(
      "dest-cert", "",
      "Identify secure client using this TLS certificate file for the destination cluster");
  mf.AddString("dest-key", "", "Identify secure client using this TLS key file");
  mf.AddString("dest-cacert", "",
               "Verify certificates of TLS enabled secure servers using this CA bundle");
  mf.AddBool("dest-insecure-transport", true, "Disable transport security for client connections");
  root.Add(std::move(mirror));
}

}  // namespace etcdpp::etcdctl
