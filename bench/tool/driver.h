#pragma once
// Driver: the generator's engine. A few threads (--threads, default at most 2: the generator
// shares the machine's cores with the server) each own one grpc::CompletionQueue; every client
// of a workload lives on one of them and keeps one request in flight (a closed loop, as etcd's
// tool runs one goroutine per client), so 1,000 clients cost 1,000 small state objects, not
// 1,000 threads. All objects on a queue run on that queue's thread only.
//
// The driver hands out request numbers up to --total or until --duration has passed, paces
// them to --rate, notices a stalled run (nothing completed for --stall-timeout), and stops
// when every client has quit.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/tool/auth_token.h"
#include "bench/tool/options.h"
#include "bench/tool/report.h"
#include "grpcpp/alarm.h"
#include "grpcpp/channel.h"
#include "grpcpp/completion_queue.h"

namespace etcdpp::bench {

// Something a completion-queue thread calls back: `this` is the tag of the operation.
class Tag {
 public:
  virtual ~Tag() = default;
  virtual void Proceed(bool ok) = 0;
};

// A token bucket of depth one shared by all threads: successive slots `1/rate` apart.
class Pacer {
 public:
  explicit Pacer(double rate) : interval_ns_(rate > 0 ? static_cast<int64_t>(1e9 / rate) : 0) {}
  // The time (NowNs clock) at which the caller may start its next request.
  int64_t Reserve();

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> next_ns_{0};
};

class Driver {
 public:
  // `tokens`: one per channel (LoginAll), or none when auth is off.
  Driver(const Options& opts, std::vector<std::shared_ptr<grpc::Channel>> channels, int categories,
         std::vector<std::unique_ptr<ConnToken>> tokens = {});
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  const Options& options() const { return opts_; }
  int shards() const { return static_cast<int>(shards_.size()); }
  grpc::CompletionQueue* cq(int shard) { return &shards_[shard]->cq; }
  Recorder* recorder(int shard) { return &shards_[shard]->recorder; }
  int channels() const { return static_cast<int>(channels_.size()); }
  const std::shared_ptr<grpc::Channel>& channel(int i) const {
    return channels_[i % channels_.size()];
  }
  // The token of channel(i); nullptr when auth is off.
  ConnToken* token(int i) const {
    return tokens_.empty() ? nullptr : tokens_[i % tokens_.size()].get();
  }

  // The next request number, or -1 once --total is reached, --duration has passed or the
  // run was stopped.
  int64_t TakeRequest();
  // How many request numbers were handed out.
  int64_t taken() const { return taken_.load(); }
  Pacer* pacer() { return &pacer_; }
  // Marks progress for the stall detector (every completion calls it).
  void Progress() { last_progress_ns_.store(NowNs(), std::memory_order_relaxed); }

  // Live objects: each client adds itself before Run and calls Quit exactly once.
  void AddLive(int n) { live_ += n; }
  void Quit() { --live_; }
  // Asks everything to wind down: TakeRequest returns -1 and `on_stop` (given to Run) runs
  // once on the driver's thread. Safe from any thread.
  void Stop(const std::string& reason = "");
  bool stopped() const { return stopped_.load(); }

  // Starts the queue threads, lets `kick` start the clients, and returns when every live
  // object has quit. `on_stop` must make long-lived streams quit (cancel them).
  void Run(const std::function<void()>& kick, const std::function<void()>& on_stop);

  // The merged results of every thread; valid after Run.
  Recorder* merged() { return &merged_; }
  double seconds() const { return seconds_; }
  // Why the run stopped early ("" when it ran to completion).
  const std::string& stop_reason() const { return stop_reason_; }

  // Deadline for a unary call starting now.
  std::chrono::system_clock::time_point Deadline() const;

 private:
  struct Shard {
    explicit Shard(int categories) : recorder(categories) {}
    grpc::CompletionQueue cq;
    Recorder recorder;
    std::thread thread;
  };
  void Poll(Shard* shard);

  // Constant after construction.
  const Options opts_;
  const std::vector<std::shared_ptr<grpc::Channel>> channels_;
  const std::vector<std::unique_ptr<ConnToken>> tokens_;  // empty, or one per channel
  std::vector<std::unique_ptr<Shard>> shards_;

  Pacer pacer_;
  std::atomic<int64_t> taken_{0};
  std::atomic<int64_t> live_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> last_progress_ns_{0};
  int64_t start_ns_ = 0;
  int64_t end_deadline_ns_ = INT64_MAX;

  // Written by Stop's first caller before stopped_ is set; read after.
  std::string stop_reason_;
  std::atomic<bool> stop_claimed_{false};

  Recorder merged_;
  double seconds_ = 0;
};

// Schedules `tag` on `cq` at `when_ns` (NowNs clock) with a grpc::Alarm the caller owns.
void ScheduleAt(grpc::Alarm* alarm, grpc::CompletionQueue* cq, int64_t when_ns, Tag* tag);

}  // namespace etcdpp::bench
