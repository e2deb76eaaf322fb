#include "bench/tool/driver.h"

#include <chrono>
#include <cstdio>

namespace etcdpp::bench {

int64_t Pacer::Reserve() {
  int64_t now = NowNs();
  if (interval_ns_ == 0) return now;
  int64_t cur = next_ns_.load();
  int64_t slot;
  do {
    slot = std::max(cur, now);
  } while (!next_ns_.compare_exchange_weak(cur, slot + interval_ns_));
  return slot;
}

Driver::Driver(const Options& opts, std::vector<std::shared_ptr<grpc::Channel>> channels,
               int categories, std::vector<std::unique_ptr<ConnToken>> tokens)
    : opts_(opts),
      channels_(std::move(channels)),
      tokens_(std::move(tokens)),
      pacer_(static_cast<double>(opts.rate)),
      merged_(categories) {
  for (int i = 0; i < std::max(1, opts.threads); ++i) {
    shards_.push_back(std::make_unique<Shard>(categories));
  }
}

Driver::~Driver() {
  for (auto& s : shards_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

int64_t Driver::TakeRequest() {
  if (stopped_.load(std::memory_order_relaxed)) return -1;
  if (NowNs() >= end_deadline_ns_) return -1;
  int64_t n = taken_.fetch_add(1);
  if (n >= opts_.total) {
    taken_.fetch_sub(1);
    return -1;
  }
  return n;
}

void Driver::Stop(const std::string& reason) {
  if (stop_claimed_.exchange(true)) return;
  stop_reason_ = reason;
  stopped_.store(true);
}

std::chrono::system_clock::time_point Driver::Deadline() const {
  return std::chrono::system_clock::now() +
         std::chrono::microseconds(static_cast<int64_t>(opts_.timeout_s * 1e6));
}

void Driver::Poll(Shard* shard) {
  void* tag;
  bool ok;
  while (shard->cq.Next(&tag, &ok)) static_cast<Tag*>(tag)->Proceed(ok);
}

void Driver::Run(const std::function<void()>& kick, const std::function<void()>& on_stop) {
  start_ns_ = NowNs();
  if (opts_.duration_s > 0)
    end_deadline_ns_ = start_ns_ + static_cast<int64_t>(opts_.duration_s * 1e9);
  Progress();
  kick();
  for (auto& s : shards_) s->thread = std::thread([this, sh = s.get()] { Poll(sh); });
  bool stop_handled = false;
  const int64_t stall_ns = static_cast<int64_t>(opts_.stall_s * 1e9);
  while (live_.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int64_t now = NowNs();
    if (now - last_progress_ns_.load() > stall_ns) {
      Stop("stalled: nothing completed for " + std::to_string(opts_.stall_s) + " s");
    }
    if (now >= end_deadline_ns_) Stop();
    if (stopped_.load() && !stop_handled) {
      stop_handled = true;
      on_stop();
    }
  }
  for (auto& s : shards_) s->cq.Shutdown();
  for (auto& s : shards_) s->thread.join();
  for (auto& s : shards_) merged_.Merge(s->recorder);
  int64_t end = merged_.last_end_ns() > start_ns_ ? merged_.last_end_ns() : NowNs();
  seconds_ = (end - start_ns_) / 1e9;
}

void ScheduleAt(grpc::Alarm* alarm, grpc::CompletionQueue* cq, int64_t when_ns, Tag* tag) {
  auto delay = std::chrono::nanoseconds(std::max<int64_t>(0, when_ns - NowNs()));
  alarm->Set(cq, std::chrono::system_clock::now() + delay, tag);
}

}  // namespace etcdpp::bench
