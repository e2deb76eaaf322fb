// Micro benchmarks of the LMDB backend: staged puts (what the applier pays; the committer
// thread commits them in batches), point gets of committed and staged values, a range scan,
// and a whole batch commit.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "backend/backend.h"

namespace etcdpp::backend {
namespace {

std::string Dir(const char* name) {
  const char* base = std::getenv("ETCDPP_BENCH_DIR");
  std::string dir = std::string(base ? base : "/tmp") + "/etcdpp-backend-bench-" + name + "-" +
                    std::to_string(getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

std::string Key(int64_t i) {  // big-endian like the key bucket's revisions
  std::string k(8, '\0');
  for (int b = 0; b < 8; ++b) k[b] = static_cast<char>(static_cast<uint64_t>(i) >> (56 - 8 * b));
  return k;
}

std::unique_ptr<Backend> OpenOrDie(const std::string& dir, bool background) {
  Options o;
  o.dir = dir;
  o.background_commits = background;
  auto be = Backend::Open(o);
  if (!be.ok()) {
    std::fprintf(stderr, "%s\n", std::string(be.status().message()).c_str());
    std::abort();
  }
  return *std::move(be);
}

void BM_BackendPut(benchmark::State& state) {
  std::string dir = Dir("put");
  auto be = OpenOrDie(dir, true);
  std::string value(300, 'v');
  int64_t i = 0;
  for (auto _ : state) {
    BatchTx tx(be.get());
    tx.Put(Bucket::kKey, Key(i++), value);
  }
  state.SetItemsProcessed(state.iterations());
  be.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BackendPut);

// Commit of range(0) staged puts of 300 bytes (the committer's cost per batch).
void BM_BackendCommitBatch(benchmark::State& state) {
  std::string dir = Dir("commit");
  auto be = OpenOrDie(dir, false);
  std::string value(300, 'v');
  int64_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      BatchTx tx(be.get());
      for (int64_t j = 0; j < state.range(0); ++j) tx.Put(Bucket::kKey, Key(i++), value);
    }
    state.ResumeTiming();
    if (!be->ForceCommit().ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  be.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BackendCommitBatch)->Arg(100)->Arg(10000)->UseRealTime();

// Point gets over range(0) committed keys.
void BM_BackendGet(benchmark::State& state) {
  std::string dir = Dir("get");
  auto be = OpenOrDie(dir, false);
  const int64_t n = state.range(0);
  {
    BatchTx tx(be.get());
    for (int64_t i = 0; i < n; ++i) tx.Put(Bucket::kKey, Key(i), std::string(300, 'v'));
  }
  if (!be->ForceCommit().ok()) state.SkipWithError("commit failed");
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(be->Get(Bucket::kKey, Key((i++ * 7919) % n)));
  state.SetItemsProcessed(state.iterations());
  be.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BackendGet)->Arg(100000);

// Range of 100 consecutive committed keys.
void BM_BackendRange100(benchmark::State& state) {
  std::string dir = Dir("range");
  auto be = OpenOrDie(dir, false);
  const int64_t n = 100000;
  {
    BatchTx tx(be.get());
    for (int64_t i = 0; i < n; ++i) tx.Put(Bucket::kKey, Key(i), std::string(300, 'v'));
  }
  if (!be->ForceCommit().ok()) state.SkipWithError("commit failed");
  int64_t i = 0;
  for (auto _ : state) {
    int64_t from = (i++ * 7919) % (n - 100);
    size_t bytes = 0;
    auto st = be->Range(Bucket::kKey, Key(from), Key(from + 100),
                        [&](std::string_view, std::string_view v) {
                          bytes += v.size();
                          return true;
                        });
    benchmark::DoNotOptimize(bytes);
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations() * 100);
  be.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BackendRange100);

}  // namespace
}  // namespace etcdpp::backend

BENCHMARK_MAIN();
