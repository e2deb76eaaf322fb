#include "bench/tool/workload.h"

#include <random>

namespace etcdpp::bench {

const Workload* FindWorkload(const std::string& name) {
  static const std::vector<Workload> kAll = {
      {"put", {"put"}, RunPut},
      {"range", {"range"}, RunRange},
      {"txn-put", {"txn-put"}, RunTxnPut},
      {"txn-mixed", {"read", "write"}, RunTxnMixed},
      {"watch", {"watch-create", "put"}, RunWatch},
      {"watch-latency", {"watch-latency", "put"}, RunWatchLatency},
      {"lease-keepalive", {"lease-keepalive", "lease-grant"}, RunLeaseKeepalive},
  };
  for (const auto& w : kAll) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

std::string BenchKey(int64_t i, int64_t size) {
  std::string k(static_cast<size_t>(size), '\0');
  uint64_t v = (static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63);
  for (size_t p = 0; p < k.size(); ++p) {
    k[p] = static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
    if (v == 0 && (static_cast<unsigned char>(k[p]) & 0x80) == 0) break;
  }
  return k;
}

std::string WorkloadKey(const Options& o, int64_t i) {
  return o.key_prefix + BenchKey(i, o.key_size);
}

std::string RandomBytes(int64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(static_cast<size_t>(size), 'a');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

}  // namespace etcdpp::bench
