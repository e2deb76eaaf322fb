// Micro benchmarks of the KV applier over a real backend and mvcc store: a point Range, a
// read-only txn with one compare and one range, and a write txn with one compare and one put (the
// per-request work above the store that every client read or write pays).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "common/env.h"
#include "mvcc/kvstore.h"
#include "server/apply/kv_apply.h"

namespace etcdpp::server {
namespace {

namespace pb = ::etcdserverpb;

// The .../iterations:5000 variants run a fixed count, for instruction counts under callgrind:
//   valgrind --tool=callgrind --toggle-collect='etcdpp::server::KvApplier::Range(*' \
//     etcdpp-micro-apply --benchmark_filter='BM_ApplyRange/iterations'  (Ir / 5000 per call)
constexpr int kFixed = 5000;

std::string Key(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%06lld", static_cast<long long>(i));
  return buf;
}

// A store of 1000 keys in a fresh directory under /tmp, removed at the end.
class Store {
 public:
  Store() : dir_("/tmp/etcdpp-apply-bench-" + std::to_string(::getpid())) {
    (void)Env::Default()->RemoveAll(dir_);
    backend::Options o;
    o.dir = dir_;
    o.background_commits = false;
    o.map_size = size_t{1} << 30;  // small enough for valgrind's address space
    be_ = *backend::Backend::Open(o);
    kv_ = *mvcc::KvStore::Open(be_.get());
    applier_ = std::make_unique<KvApplier>(kv_.get());
    for (int64_t i = 0; i < 1000; ++i) {
      pb::PutRequest put;
      put.set_key(Key(i));
      put.set_value(std::string(100, 'v'));
      pb::PutResponse resp;
      (void)applier_->Put(put, ++index_, &resp);
    }
  }
  ~Store() {
    applier_.reset();
    kv_.reset();
    be_.reset();
    (void)Env::Default()->RemoveAll(dir_);
  }
  KvApplier& applier() { return *applier_; }
  uint64_t NextIndex() { return ++index_; }

 private:
  std::string dir_;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<mvcc::KvStore> kv_;
  std::unique_ptr<KvApplier> applier_;
  uint64_t index_ = 0;
};

void BM_ApplyRange(benchmark::State& state) {
  Store s;
  int64_t i = 0;
  for (auto _ : state) {
    pb::RangeRequest r;
    r.set_key(Key(i++ % 1000));
    pb::RangeResponse resp;
    benchmark::DoNotOptimize(s.applier().Range(r, &resp));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplyRange);
BENCHMARK(BM_ApplyRange)->Iterations(kFixed);

pb::TxnRequest CompareTxn(const std::string& key, bool write) {
  pb::TxnRequest t;
  pb::Compare* c = t.add_compare();
  c->set_key(key);
  c->set_target(pb::Compare::VERSION);
  c->set_result(pb::Compare::GREATER);
  c->set_version(0);
  pb::RequestOp* op = t.add_success();
  if (write) {
    op->mutable_request_put()->set_key(key);
    op->mutable_request_put()->set_value("w");
  } else {
    op->mutable_request_range()->set_key(key);
  }
  return t;
}

void BM_ApplyReadOnlyTxn(benchmark::State& state) {
  Store s;
  int64_t i = 0;
  for (auto _ : state) {
    pb::TxnRequest t = CompareTxn(Key(i++ % 1000), false);
    pb::TxnResponse resp;
    benchmark::DoNotOptimize(s.applier().ReadOnlyTxn(t, &resp));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplyReadOnlyTxn);
BENCHMARK(BM_ApplyReadOnlyTxn)->Iterations(kFixed);

void BM_ApplyTxnPut(benchmark::State& state) {
  Store s;
  int64_t i = 0;
  for (auto _ : state) {
    pb::TxnRequest t = CompareTxn(Key(i++ % 1000), true);
    pb::TxnResponse resp;
    benchmark::DoNotOptimize(s.applier().Txn(t, s.NextIndex(), &resp));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplyTxnPut);
BENCHMARK(BM_ApplyTxnPut)->Iterations(kFixed);

}  // namespace
}  // namespace etcdpp::server

BENCHMARK_MAIN();
