#include "put_load.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/time/clock.h"

namespace etcdpp::etcdctl {

std::unique_ptr<PutLoad> PutLoad::Connect(ClientConfig cfg, int clients, CtlError* err) {
  // The xl workloads hold a thousand connections: the soft limit of open files goes up to the
  // hard one.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  cfg.own_connection = true;
  std::vector<std::unique_ptr<Client>> cs;
  for (int i = 0; i < clients; ++i) {
    cs.push_back(Client::Connect(cfg, err));
    if (cs.back() == nullptr) return nullptr;
  }
  return std::unique_ptr<PutLoad>(new PutLoad(std::move(cs)));
}

PutLoad::~PutLoad() {
  if (!workers_.empty()) Finish();
}

void PutLoad::Start(std::string value, std::function<void()> on_put) {
  value_ = std::move(value);
  on_put_ = std::move(on_put);
  for (auto& c : clients_) workers_.emplace_back([this, c = c.get()] { Work(c); });
  start_ = absl::Now();
}

void PutLoad::Push(std::string key) {
  MutexLock l(&mu_);
  while (queue_.size() >= clients_.size()) changed_.Wait(&mu_);
  queue_.push_back(std::move(key));
  changed_.SignalAll();
}

bool PutLoad::Take(std::string* key) {
  MutexLock l(&mu_);
  while (queue_.empty() && !closed_) changed_.Wait(&mu_);
  if (queue_.empty()) return false;
  *key = std::move(queue_.front());
  queue_.pop_front();
  changed_.SignalAll();
  return true;
}

// Puts without a deadline (stock etcdctl's context.Background()).
void PutLoad::Work(Client* c) {
  etcdserverpb::PutRequest req;
  req.set_value(value_);
  std::string key;
  while (Take(&key)) {
    req.set_key(key);
    etcdserverpb::PutResponse resp;
    absl::Time st = absl::Now();
    auto ctx = c->NewContext(absl::ZeroDuration());
    grpc::Status s = c->Logged(c->kv().Put(ctx.get(), req, &resp));
    double secs = absl::ToDoubleSeconds(absl::Now() - st);
    {
      MutexLock l(&mu_);
      if (s.ok()) {
        latencies_.push_back(secs);
      } else {
        ++errors_[ErrorText(s)];
      }
    }
    if (on_put_) on_put_();
  }
}

LoadStats PutLoad::Finish() {
  {
    MutexLock l(&mu_);
    closed_ = true;
    changed_.SignalAll();
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  double total = absl::ToDoubleSeconds(absl::Now() - start_);
  MutexLock l(&mu_);
  LoadStats s;
  s.errors = errors_;
  s.succeeded = static_cast<int64_t>(latencies_.size());
  s.rps = static_cast<double>(latencies_.size()) / total;
  double sum = 0, dev = 0;
  for (double x : latencies_) sum += x;
  double avg = sum / static_cast<double>(latencies_.size());
  for (double x : latencies_) dev += (x - avg) * (x - avg);
  s.stddev = std::sqrt(dev / static_cast<double>(latencies_.size()));
  if (!latencies_.empty()) s.slowest = *std::max_element(latencies_.begin(), latencies_.end());
  return s;
}

std::string RandomKeys::Next() {
  std::uniform_int_distribution<int64_t> dist(0, std::numeric_limits<int64_t>::max() - 1);
  int64_t v = dist(rng_);
  // Go's zig-zag varint: (v << 1) ^ (v >> 63), seven bits a byte, low first.
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  for (size_t i = 0; i < buf_.size(); ++i) {
    buf_[i] = static_cast<char>(u < 0x80 ? u : (u & 0x7f) | 0x80);
    if (u < 0x80) break;
    u >>= 7;
  }
  return prefix_ + buf_;
}

}  // namespace etcdpp::etcdctl
