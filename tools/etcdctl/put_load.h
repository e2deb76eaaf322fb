#pragma once
// The write load of `check perf` and `check datascale`: a pool of clients, each on its own
// connection and thread, putting the keys a producer hands them (one queue slot per client,
// as stock etcdctl's channel of ops), and the latency statistics of the run as etcd's
// pkg/report computes them (RPS over the time from Start to Finish, population stddev).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "common/mutex.h"

namespace etcdpp::etcdctl {

struct LoadStats {
  int64_t succeeded = 0;
  double rps = 0;                         // successful puts per second
  double slowest = 0;                     // seconds
  double stddev = 0;                      // seconds
  std::map<std::string, int64_t> errors;  // error text -> count
};

class PutLoad {
 public:
  // Connects `clients` clients for cfg; null with *err set if one cannot connect.
  static std::unique_ptr<PutLoad> Connect(ClientConfig cfg, int clients, CtlError* err);
  ~PutLoad();
  PutLoad(const PutLoad&) = delete;
  PutLoad& operator=(const PutLoad&) = delete;

  Client& first() { return *clients_[0]; }

  // Starts the workers; each puts the keys it takes with `value`, and calls on_put (may be
  // empty) after each put, from its own thread.
  void Start(std::string value, std::function<void()> on_put);
  // Queues one key; blocks while the queue is full.
  void Push(std::string key) ABSL_LOCKS_EXCLUDED(mu_);
  // No more keys: waits for the queued puts and the workers, and returns the statistics.
  LoadStats Finish() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit PutLoad(std::vector<std::unique_ptr<Client>> clients) : clients_(std::move(clients)) {}
  void Work(Client* c) ABSL_LOCKS_EXCLUDED(mu_);  // a worker thread's loop
  bool Take(std::string* key) ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction (the value and callback after Start).
  std::vector<std::unique_ptr<Client>> clients_;
  std::string value_;
  std::function<void()> on_put_;
  absl::Time start_;
  std::vector<std::thread> workers_;  // one Work loop per client

  Mutex mu_;
  CondVar changed_;  // a key queued or taken, or the queue closed
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<double> latencies_ ABSL_GUARDED_BY(mu_);  // seconds, of successful puts
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
};

// The random keys of the checks: prefix + a `size`-byte buffer holding the varint of a random
// non-negative int64 (stock etcdctl's binary.PutVarint into a reused buffer, so bytes of an
// earlier, longer varint may follow).
class RandomKeys {
 public:
  RandomKeys(std::string prefix, size_t size) : prefix_(std::move(prefix)), buf_(size, '\0') {}
  std::string Next();

 private:
  std::string prefix_;
  std::string buf_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace etcdpp::etcdctl
