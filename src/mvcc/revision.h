#pragma once
// Revision: a (main, sub) pair. Every write txn that changes something gets the next main
// revision; its changes get sub 0, 1, 2... The key bucket is keyed by the big-endian encoding
//   8-byte main | '_' | 8-byte sub  [| 't' for tombstones]
// so that LMDB's byte order is revision order.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/hash/hash.h"

namespace etcdpp::mvcc {

struct Revision {
  int64_t main = 0;
  int64_t sub = 0;

  friend bool operator==(const Revision&, const Revision&) = default;
  friend auto operator<=>(const Revision&, const Revision&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Revision& r) {
    return H::combine(std::move(h), r.main, r.sub);
  }
};

inline constexpr size_t kRevBytesLen = 17;
inline constexpr char kTombstoneMark = 't';

// Appends the 17-byte key of `rev` (plus the tombstone mark) to *out.
inline void AppendRevBytes(Revision rev, bool tombstone, std::string* out) {
  char buf[kRevBytesLen + 1];
  for (int i = 0; i < 8; ++i) {
    buf[i] = static_cast<char>(static_cast<uint64_t>(rev.main) >> (56 - 8 * i));
    buf[9 + i] = static_cast<char>(static_cast<uint64_t>(rev.sub) >> (56 - 8 * i));
  }
  buf[8] = '_';
  buf[kRevBytesLen] = kTombstoneMark;
  out->append(buf, tombstone ? kRevBytesLen + 1 : kRevBytesLen);
}

inline std::string RevBytes(Revision rev, bool tombstone = false) {
  std::string out;
  AppendRevBytes(rev, tombstone, &out);
  return out;
}

// Decodes the revision at the front of a key-bucket key (at least kRevBytesLen bytes).
inline Revision RevFromBytes(std::string_view b) {
  Revision r;
  uint64_t main = 0, sub = 0;
  for (int i = 0; i < 8; ++i) {
    main = (main << 8) | static_cast<unsigned char>(b[i]);
    sub = (sub << 8) | static_cast<unsigned char>(b[9 + i]);
  }
  r.main = static_cast<int64_t>(main);
  r.sub = static_cast<int64_t>(sub);
  return r;
}

inline bool IsTombstoneKey(std::string_view b) {
  return b.size() == kRevBytesLen + 1 && b[kRevBytesLen] == kTombstoneMark;
}

}  // namespace etcdpp::mvcc
