// Micro benchmarks of the WAL: Save of a batch of entries with its one fdatasync (the raft node
// thread's cost per Ready), and, for the floor, a raw pwrite + fdatasync of the same bytes.
// The WAL lives in $ETCDPP_BENCH_DIR (default /tmp) so that the disk is the one measured.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/env.h"
#include "wal/wal.h"

namespace etcdpp::wal {
namespace {

std::string TempDir(const char* name) {
  const char* base = std::getenv("ETCDPP_BENCH_DIR");
  std::string dir = std::string(base ? base : "/tmp") + "/etcdpp-wal-bench-" + name + "-" +
                    std::to_string(getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

// range(0) entries of range(1) bytes per Save.
void BM_WalSave(benchmark::State& state) {
  std::string dir = TempDir("save");
  auto w = Wal::Create(Env::Default(), dir, "bench");
  if (!w.ok()) {
    state.SkipWithError(std::string(w.status().message()).c_str());
    return;
  }
  std::vector<raft::Entry> batch(state.range(0));
  uint64_t index = 1;
  raft::HardState hs{1, 1, 0};
  for (auto _ : state) {
    for (auto& e : batch)
      e = raft::Entry{1, index++, raft::EntryType::kNormal, std::string(state.range(1), 'x')};
    hs.commit = index - 1;
    if (!(*w)->Save(hs, batch).ok()) state.SkipWithError("save failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  w->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WalSave)->Args({1, 300})->Args({100, 300})->UseRealTime();

// 512 bytes written into a preallocated (fallocate) file, then fdatasync: what a WAL append
// into a fresh preallocated segment pays at least (ext4 converts the unwritten extent, so
// the sync also commits metadata). `etcdpp-bench fdatasync` measures the data-only floor.
void BM_RawFdatasync(benchmark::State& state) {
  std::string dir = TempDir("raw");
  std::filesystem::create_directories(dir);
  std::string path = dir + "/f";
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0600);
  if (fd < 0 || posix_fallocate(fd, 0, 64 << 20) != 0) {
    state.SkipWithError("cannot create file");
    return;
  }
  fdatasync(fd);
  std::string block(512, 'x');
  off_t off = 0;
  for (auto _ : state) {
    if (pwrite(fd, block.data(), block.size(), off) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write failed");
    }
    off = (off + 512) % (64 << 20);
  }
  close(fd);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RawFdatasync)->UseRealTime();

}  // namespace
}  // namespace etcdpp::wal

BENCHMARK_MAIN();
