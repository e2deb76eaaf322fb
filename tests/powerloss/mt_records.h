#pragma once
// The records mt_writer writes, shared with the test that checks them.

#include <cstdint>
#include <cstdio>
#include <string>

namespace etcdpp::powerloss::mt_records {

inline constexpr int kThreads = 4;
inline constexpr size_t kRecordSize = 64;

// Record j of thread i: 64 bytes, "T<i> J<j> " padded with the thread's letter, '\n' last.
inline std::string Record(int i, uint64_t j) {
  std::string r(kRecordSize, static_cast<char>('a' + i));
  int n = std::snprintf(r.data(), r.size(), "T%d J%010llu ", i, static_cast<unsigned long long>(j));
  r[static_cast<size_t>(n)] = ' ';
  r.back() = '\n';
  return r;
}

}  // namespace etcdpp::powerloss::mt_records
