// Micro benchmarks of the key index: one key's generations (KeyIndex) and the ordered index of
// every key (Index, etcd's treeIndex) for put, point get and a range of 100 keys.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "mvcc/index.h"
#include "mvcc/key_index.h"

namespace etcdpp::mvcc {
namespace {

std::string Key(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%012lld", static_cast<long long>(i));
  return buf;
}

void BM_KeyIndexPut(benchmark::State& state) {
  KeyIndex ki;
  int64_t rev = 1;
  for (auto _ : state) ki.Put({rev++, 0});
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyIndexPut);

void BM_KeyIndexGet(benchmark::State& state) {
  KeyIndex ki;
  const int64_t n = state.range(0);
  for (int64_t r = 1; r <= n; ++r) ki.Put({r, 0});
  int64_t at = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ki.Get(at));
    at = at % n + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyIndexGet)->Arg(1)->Arg(100)->Arg(10000);

// Put of a new revision for one of `range(0)` keys (the applier's work per put).
void BM_IndexPut(benchmark::State& state) {
  Index index;
  const int64_t n = state.range(0);
  std::vector<std::string> keys;
  for (int64_t i = 0; i < n; ++i) keys.push_back(Key(i * 7919 % n));
  int64_t rev = 1;
  for (auto _ : state) {
    index.Put(keys[rev % n], {rev, 0});
    ++rev;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexPut)->Arg(1000)->Arg(1000000);

void BM_IndexGet(benchmark::State& state) {
  Index index;
  const int64_t n = state.range(0);
  std::vector<std::string> keys;
  for (int64_t i = 0; i < n; ++i) {
    keys.push_back(Key(i));
    index.Put(keys.back(), {i + 1, 0});
  }
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.Get(keys[(i++ * 7919) % n], n + 1));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexGet)->Arg(1000)->Arg(1000000);

void BM_IndexRange100(benchmark::State& state) {
  Index index;
  const int64_t n = state.range(0);
  for (int64_t i = 0; i < n; ++i) index.Put(Key(i), {i + 1, 0});
  int64_t i = 0;
  for (auto _ : state) {
    int64_t from = (i++ * 7919) % (n - 100);
    benchmark::DoNotOptimize(index.Range(Key(from), Key(from + 100), n + 1));
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_IndexRange100)->Arg(1000000);

}  // namespace
}  // namespace etcdpp::mvcc

BENCHMARK_MAIN();
