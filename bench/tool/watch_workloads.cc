// watch-latency and watch: Watch streams on completion queues plus a paced put loop.

#include <atomic>
#include <map>
#include <memory>
#include <random>

#include "absl/strings/str_format.h"
#include "bench/tool/unary_client.h"
#include "bench/tool/watch_stream.h"
#include "bench/tool/workload.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace etcdpp::bench {
namespace {

using etcdserverpb::KV;
using etcdserverpb::PutRequest;
using etcdserverpb::PutResponse;
using etcdserverpb::Watch;

std::vector<std::unique_ptr<Watch::Stub>> WatchStubs(Driver* d) {
  std::vector<std::unique_ptr<Watch::Stub>> stubs;
  for (int i = 0; i < d->channels(); ++i) stubs.push_back(Watch::NewStub(d->channel(i)));
  return stubs;
}

// watch-latency (etcd's watch_latency.go): --clients watchers, each on its own stream, watch
// one key; one put at a time at --put-rate; each watcher records the delay from the put's
// start until its event arrives. (etcd's tool starts the clock when the put returns, which
// hides the put's own latency and can go negative; we measure from the put's start and report
// the put latency beside it, so watch-latency minus put latency is etcd's figure.)
class WatchLatencyRun : public Tag {
 public:
  WatchLatencyRun(Driver* d)
      : d_(d), pacer_(static_cast<double>(d->options().put_rate)), token_(d->token(0)) {}

  [[nodiscard]] absl::Status Run() {
    const Options& o = d_->options();
    std::string key = o.key_prefix + RandomBytes(o.key_size, 7);
    key_ = key;
    value_ = RandomBytes(o.val_size, 8);
    stubs_ = WatchStubs(d_);
    kv_ = KV::NewStub(d_->channel(0));
    WatchStream::Hooks hooks;
    hooks.created = [this](WatchStream*, int64_t, int64_t) { OnSettled(true); };
    hooks.events = [this](WatchStream* s, const etcdserverpb::WatchResponse& r, int64_t now) {
      for (int i = 0; i < r.events_size(); ++i) {
        d_->recorder(s->shard())->Ok(0, put_start_ns_.load(), now);
        Arrive();
      }
    };
    hooks.died = [this](WatchStream* s, const std::string& err) {
      d_->recorder(s->shard())->Error(0, NowNs(), err);
      if (!puts_started_.load())
        OnSettled(false);
      else
        d_->Stop("a watcher died: " + err);
    };
    for (int c = 0; c < o.clients; ++c) {
      streams_.push_back(
          std::make_unique<WatchStream>(d_, c % d_->shards(), stubs_[c % stubs_.size()].get(),
                                        d_->token(c), std::vector<std::string>{key}, hooks));
    }
    d_->AddLive(o.clients + 1);  // the watchers and the put loop
    d_->Run(
        [this] {
          for (auto& s : streams_) s->Start();
        },
        [this] { OnStop(); });
    return absl::OkStatus();
  }

  // Put loop: alarm fired (start the put) or put finished.
  void Proceed(bool ok) override {
    if (d_->stopped()) {
      put_in_flight_.store(false);
      QuitPutLoop();
      return;
    }
    if (waiting_alarm_) {
      waiting_alarm_ = false;
      StartPut();
      return;
    }
    int64_t now = NowNs();
    d_->Progress();
    put_in_flight_.store(false);
    if (status_.ok()) {
      d_->recorder(0)->Ok(1, put_start_ns_.load(), now);
      Arrive();
    } else {
      d_->recorder(0)->Error(1, now, status_);
      (void)token_.RefreshOn(status_);  // a stale token: the next put logs in first
      gate_.store(0);                   // no events will come
      NextPut();
    }
  }

  // Run's on_stop: the put loop quits now unless a put or its alarm is outstanding (then it
  // quits when that completes).
  void OnStop() {
    for (auto& s : streams_) s->Cancel();
    if (!put_in_flight_.load()) QuitPutLoop();
  }

 private:
  void OnSettled(bool created) {
    if (created) ++created_;
    int settled = ++settled_;
    if (settled < d_->options().clients) return;
    if (created_.load() == 0) {
      d_->Stop("no watcher could be created");
      return;
    }
    if (!puts_started_.exchange(true)) NextPut();
  }

  // One of (the put's response, each watcher's event) has arrived for the current put.
  void Arrive() {
    if (gate_.fetch_sub(1) == 1) NextPut();
  }

  void QuitPutLoop() {
    if (!put_loop_quit_.exchange(true)) d_->Quit();
  }

  void NextPut() {
    put_in_flight_.store(true);
    if (d_->TakeRequest() < 0) {
      put_in_flight_.store(false);
      d_->Stop();
      QuitPutLoop();
      return;
    }
    gate_.store(created_.load() + 1);
    int64_t slot = pacer_.Reserve();
    waiting_alarm_ = true;
    ScheduleAt(&alarm_, d_->cq(0), slot, this);
  }

  void StartPut() {
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(d_->Deadline());
    token_.Attach(ctx_.get());
    req_.set_key(streams_.empty() ? "" : key_);
    req_.set_value(value_);
    put_start_ns_.store(NowNs());
    reader_ = kv_->PrepareAsyncPut(ctx_.get(), req_, d_->cq(0));
    reader_->StartCall();
    reader_->Finish(&resp_, &status_, this);
  }

  Driver* const d_;
  Pacer pacer_;
  std::string key_, value_;
  std::vector<std::unique_ptr<Watch::Stub>> stubs_;
  std::unique_ptr<KV::Stub> kv_;
  std::vector<std::unique_ptr<WatchStream>> streams_;
  std::atomic<int> created_{0}, settled_{0};
  std::atomic<bool> puts_started_{false}, put_in_flight_{false}, put_loop_quit_{false};
  std::atomic<int64_t> gate_{0};
  std::atomic<int64_t> put_start_ns_{0};
  // Put loop state (one put at a time).
  grpc::Alarm alarm_;
  bool waiting_alarm_ = false;
  std::unique_ptr<grpc::ClientContext> ctx_;
  TokenCopy token_;
  PutRequest req_;
  PutResponse resp_;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<PutResponse>> reader_;
};

// watch (etcd 3.4's watch.go): --streams streams with --watch-per-stream watchers each on keys
// from --key-space-size; the creation latency of every watcher, then --put-total puts at
// --put-rate by --clients put clients, and how fast the resulting events arrive.
class WatchRun {
 public:
  explicit WatchRun(Driver* d) : d_(d) {}

  [[nodiscard]] absl::Status Run(Notes* notes) {
    const Options& o = d_->options();
    stubs_ = WatchStubs(d_);
    std::mt19937_64 rng(11);
    int64_t watchers = o.streams * o.watch_per_stream;
    for (int64_t s = 0; s < o.streams; ++s) {
      std::vector<std::string> keys;
      for (int64_t j = 0; j < o.watch_per_stream; ++j) {
        int64_t w = s * o.watch_per_stream + j;
        int64_t k = o.sequential_keys ? w % o.key_space_size
                                      : static_cast<int64_t>(rng() % o.key_space_size);
        keys.push_back(WorkloadKey(o, k));
        ++watchers_on_[k];
      }
      streams_.push_back(std::make_unique<WatchStream>(
          d_, static_cast<int>(s % d_->shards()), stubs_[s % stubs_.size()].get(),
          d_->token(static_cast<int>(s)), std::move(keys), Hooks()));
    }
    watchers_ = watchers;
    d_->AddLive(static_cast<int>(o.streams));
    int64_t start = NowNs();
    d_->Run(
        [this] {
          for (auto& s : streams_) s->Start();
        },
        [this] {
          for (auto& s : streams_) s->Cancel();
        });
    double put_secs = (last_event_ns_.load() - puts_start_ns_.load()) / 1e9;
    notes->text = absl::StrFormat(
        "\nWatch events: %d received of %d expected, %.1f events/s after the first put\n",
        events_.load(), expected_.load(), put_secs > 0 ? events_.load() / put_secs : 0.0);
    notes->json = absl::StrFormat("\"events\":%d,\"events_expected\":%d,\"events_per_s\":%.1f",
                                  events_.load(), expected_.load(),
                                  put_secs > 0 ? events_.load() / put_secs : 0.0);
    (void)start;
    return absl::OkStatus();
  }

 private:
  WatchStream::Hooks Hooks() {
    WatchStream::Hooks h;
    h.created = [this](WatchStream* s, int64_t start, int64_t now) {
      d_->recorder(s->shard())->Ok(0, start, now);
      ++created_;
      Settle();
    };
    h.events = [this](WatchStream*, const etcdserverpb::WatchResponse& r, int64_t now) {
      events_ += r.events_size();
      last_event_ns_.store(now);
      MaybeDone();
    };
    h.died = [this](WatchStream* s, const std::string& err) {
      d_->recorder(s->shard())->Error(0, NowNs(), err);
      if (!puts_started_.load()) Settle(static_cast<int>(d_->options().watch_per_stream));
    };
    return h;
  }

  // Called for each created watcher (and all of a dead stream's): the put phase starts once
  // every watcher is settled.
  void Settle(int n = 1) {
    if ((settled_ += n) < watchers_) return;
    if (puts_started_.exchange(true)) return;
    if (created_.load() == 0) return d_->Stop("no watcher could be created");
    StartPuts();
  }

  void StartPuts() {
    const Options& o = d_->options();
    puts_start_ns_.store(NowNs());
    kv_stubs_.clear();
    for (int i = 0; i < d_->channels(); ++i) kv_stubs_.push_back(KV::NewStub(d_->channel(i)));
    std::string value = "data";
    puts_left_.store(o.clients);
    for (int c = 0; c < o.clients; ++c) {
      auto* stub = kv_stubs_[c % kv_stubs_.size()].get();
      auto rng = std::make_shared<std::mt19937_64>(3000 + c);
      auto call = std::make_unique<TypedCall<PutRequest, PutResponse>>(
          [stub](grpc::ClientContext* ctx, const PutRequest& r, grpc::CompletionQueue* cq) {
            return stub->PrepareAsyncPut(ctx, r, cq);
          },
          [this, &o, rng](int64_t n, PutRequest* r) {
            int64_t k = o.sequential_keys ? n % o.key_space_size
                                          : static_cast<int64_t>((*rng)() % o.key_space_size);
            auto it = watchers_on_.find(k);
            if (it != watchers_on_.end()) expected_ += it->second;
            r->set_key(WorkloadKey(o, k));
            r->set_value("data");
            return 1;
          });
      putters_.push_back(std::make_unique<UnaryClient>(d_, c % d_->shards(), d_->token(c),
                                                       std::move(call), [this] { PutterDone(); }));
    }
    d_->AddLive(o.clients);
    for (auto& p : putters_) p->Kick();
  }

  void PutterDone() {
    if (--puts_left_ == 0) {
      puts_done_.store(true);
      MaybeDone();
    }
  }

  void MaybeDone() {
    if (puts_done_.load() && events_.load() >= expected_.load()) d_->Stop();
  }

  Driver* const d_;
  std::vector<std::unique_ptr<Watch::Stub>> stubs_;
  std::vector<std::unique_ptr<KV::Stub>> kv_stubs_;
  std::vector<std::unique_ptr<WatchStream>> streams_;
  std::vector<std::unique_ptr<UnaryClient>> putters_;
  std::map<int64_t, int64_t> watchers_on_;  // key number -> watchers; fixed before the run
  int64_t watchers_ = 0;
  std::atomic<int64_t> settled_{0}, created_{0}, events_{0}, expected_{0};
  std::atomic<int> puts_left_{0};
  std::atomic<bool> puts_started_{false}, puts_done_{false};
  std::atomic<int64_t> puts_start_ns_{0}, last_event_ns_{0};
};

}  // namespace

[[nodiscard]] absl::Status RunWatchLatency(Driver* d, Notes*) { return WatchLatencyRun(d).Run(); }

[[nodiscard]] absl::Status RunWatch(Driver* d, Notes* notes) { return WatchRun(d).Run(notes); }

}  // namespace etcdpp::bench
