#pragma once
// The data lmdb_writer commits, shared with the test that checks it after a power loss.

#include <cstdint>
#include <cstdio>
#include <string>

namespace etcdpp::powerloss::lmdb_schema {

inline std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "k%010llu", static_cast<unsigned long long>(i));
  return buf;
}

// 40 to ~6,000 bytes, so some values take overflow pages.
inline std::string Value(uint64_t i) {
  size_t size = 40 + (i * 7919) % 6000;
  std::string v(size, static_cast<char>('a' + i % 26));
  std::snprintf(v.data(), v.size(), "value-%llu-", static_cast<unsigned long long>(i));
  return v;
}

inline std::string BigEndian(uint64_t i) {
  std::string s(8, '\0');
  for (int b = 0; b < 8; ++b) s[b] = static_cast<char>(i >> (56 - 8 * b));
  return s;
}

// Whether kv holds Key(i) once transactions 1..last committed.
inline bool KvHolds(uint64_t i, uint64_t last) {
  if (i == 0 || i > last) return false;
  uint64_t deleter = i + 50;  // transaction that deletes Key(i), if i + 50 is a multiple of 3
  return !(deleter % 3 == 0 && deleter <= last);
}

}  // namespace etcdpp::powerloss::lmdb_schema
