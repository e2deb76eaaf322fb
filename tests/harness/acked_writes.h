#pragma once
// Acknowledged writes under faults: client threads that put fresh keys to a cluster's members
// while members crash, and the checks that every acknowledged put survived (header-only, for
// gtest targets that link etcdpp_test_cluster).

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/cluster_ops.h"
#include "harness/grpc_util.h"

namespace etcdpp::testing {

inline constexpr std::chrono::milliseconds kAckedWriteRpc{3000};

struct Ack {
  std::string value;
  int64_t revision = 0;
};

// Client threads putting fresh keys ("<key_prefix>/<thread>/<n>": never written twice, so an
// unacknowledged put in flight at a kill cannot move a key's revision) to random members until
// stopped, remembering every acknowledged put.
class AckedWriters {
 public:
  AckedWriters(std::vector<std::string> endpoints, int threads, uint64_t seed,
               std::string key_prefix = "pl/0")
      : endpoints_(std::move(endpoints)), key_prefix_(std::move(key_prefix)) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t, seed] { Loop(t, seed + static_cast<uint64_t>(t)); });
    }
  }
  ~AckedWriters() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::map<std::string, Ack> acked() {
    std::lock_guard<std::mutex> l(mu_);
    return acked_;
  }

 private:
  void Loop(int thread, uint64_t seed) {
    std::mt19937_64 rng(seed);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(20);
    for (int n = 0; !stop_ && std::chrono::steady_clock::now() < deadline; ++n) {
      const std::string& ep = endpoints_[rng() % endpoints_.size()];
      etcdserverpb::PutRequest req;
      req.set_key(absl::StrCat(key_prefix_, "/", thread, "/", n));
      req.set_value(absl::StrCat("value-", thread, "-", n, "-", std::string(100, 'v')));
      etcdserverpb::PutResponse resp;
      grpc::Status st = KvStub(ep)->Put(ContextWithDeadline(kAckedWriteRpc).get(), req, &resp);
      if (!st.ok()) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(20));  // that member is down: another next
        continue;
      }
      std::lock_guard<std::mutex> l(mu_);
      acked_[req.key()] = Ack{req.value(), resp.header().revision()};
    }
  }

  const std::vector<std::string> endpoints_;
  const std::string key_prefix_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::map<std::string, Ack> acked_;  // guarded by mu_
};

// Every acknowledged put is in the dump, with its value, at its revision.
inline void ExpectAllAcked(const Dump& d, const std::map<std::string, Ack>& acked,
                           const std::string& who) {
  std::map<std::string, const KvRecord*> by_key;
  for (const KvRecord& kv : d.kvs) by_key[kv.key] = &kv;
  int lost = 0;
  for (const auto& [key, ack] : acked) {
    auto it = by_key.find(key);
    if (it == by_key.end() || it->second->value != ack.value ||
        it->second->mod_revision != ack.revision) {
      if (++lost <= 5)
        ADD_FAILURE() << who << " lost acknowledged put " << key << " (revision " << ack.revision
                      << ")";
    }
  }
  EXPECT_EQ(lost, 0) << who << ": " << lost << " of " << acked.size() << " acknowledged puts lost";
}

inline std::vector<std::string> Endpoints(FaultCluster& c) {
  std::vector<std::string> eps;
  for (int i = 0; i < c.size(); ++i) eps.push_back(c.member(i).Endpoint());
  return eps;
}

inline void ExpectConvergedWithEveryAck(FaultCluster& c, const std::map<std::string, Ack>& acked) {
  absl::StatusOr<std::vector<Dump>> dumps = c.WaitConverged(absl::Seconds(90));
  ASSERT_TRUE(dumps.ok()) << dumps.status();
  for (int i = 0; i < c.size(); ++i) {
    ExpectAllAcked((*dumps)[static_cast<size_t>(i)], acked, c.member(i).config().name);
  }
}

}  // namespace etcdpp::testing
