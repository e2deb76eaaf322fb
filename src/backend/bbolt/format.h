#pragma once
// The bbolt file format (go.etcd.io/bbolt, format version 2), as far as etcdpp reads and writes
// it. etcd's backend and so its snapshot (`etcdctl snapshot save`, plus a SHA-256 trailer) is
// such a file. All integers are little-endian (bbolt writes its structs in the byte order of
// the machine; every platform etcd ships for is little-endian).
//
// The file is an array of pages of `page_size` bytes (4096 here); page N starts at N*page_size.
// A page (or a run of 1+overflow pages) starts with a 16-byte header:
//
//   u64 id        the page's own number (N)
//   u16 flags     0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist
//   u16 count     elements on the page (freelist: ids; 0xFFFF = the first u64 holds the count)
//   u32 overflow  further pages this one spans (a leaf holding one large value)
//
// Pages 0 and 1 are meta pages: after the header, 64 bytes
//
//   u32 magic 0xED0CDAED, u32 version 2, u32 page_size, u32 flags (0),
//   u64 root bucket's root page, u64 root bucket's sequence,
//   u64 freelist page, u64 pgid (the high-water mark: pages in use = file size / page_size),
//   u64 txid, u64 checksum = FNV-1a 64 of the 56 bytes before it.
//
// A reader uses the valid meta page with the higher txid. Every page below `pgid` is reachable
// exactly once (a meta, the freelist, or a page of a bucket's tree) or listed in the freelist.
//
// Buckets are B+trees. A leaf page holds `count` 16-byte elements
//   u32 flags (0x01: the value is a sub-bucket), u32 pos, u32 ksize, u32 vsize
// and a branch page `count` 16-byte elements
//   u32 pos, u32 ksize, u64 child page
// where pos is the distance from the element itself to its key; a leaf element's value follows
// its key. Keys are non-empty, strictly increasing within a page and across the tree; a branch
// element's key is the first key of its child. The root bucket's entries are the top-level
// buckets (etcd's "key", "meta", ...).
//
// A bucket's value is a 16-byte header {u64 root page, u64 sequence}. With root 0 the bucket is
// inline: a leaf page image (its header's id is 0) follows the header inside the value. bbolt
// inlines a bucket with no sub-buckets whose page would be at most page_size/4 bytes.
//
// The freelist page lists free page ids (sorted u64s) after its header.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace etcdpp::backend::bbolt {

inline constexpr uint32_t kMagic = 0xED0CDAED;
inline constexpr uint32_t kVersion = 2;
inline constexpr uint32_t kDefaultPageSize = 4096;

inline constexpr size_t kPageHeaderSize = 16;
inline constexpr size_t kMetaSize = 64;
inline constexpr size_t kMetaChecksumOffset = 56;  // the checksum covers the bytes before it
inline constexpr size_t kLeafElementSize = 16;
inline constexpr size_t kBranchElementSize = 16;
inline constexpr size_t kBucketHeaderSize = 16;

inline constexpr uint16_t kBranchPageFlag = 0x01;
inline constexpr uint16_t kLeafPageFlag = 0x02;
inline constexpr uint16_t kMetaPageFlag = 0x04;
inline constexpr uint16_t kFreelistPageFlag = 0x10;

inline constexpr uint32_t kBucketLeafFlag = 0x01;

inline constexpr uint64_t kNoFreelist = ~uint64_t{0};  // bbolt's pgidNoFreelist

// The meta page's 64 bytes, decoded.
struct Meta {
  uint32_t magic = kMagic;
  uint32_t version = kVersion;
  uint32_t page_size = kDefaultPageSize;
  uint32_t flags = 0;
  uint64_t root = 0;      // the root bucket's root page
  uint64_t sequence = 0;  // the root bucket's sequence
  uint64_t freelist = 0;
  uint64_t pgid = 0;  // high-water mark
  uint64_t txid = 0;
  uint64_t checksum = 0;
};

// Little-endian helpers over raw bytes (no alignment needed).
inline void PutU16(char* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8);
}
inline uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

// FNV-1a, 64 bits (bbolt's meta checksum).
uint64_t Fnv1a64(std::string_view data);

// The 64 meta bytes of `m` with its checksum computed (m.checksum is ignored).
std::string EncodeMeta(const Meta& m);
// Decodes 64 meta bytes (no validation).
Meta DecodeMeta(const char* p);
// The checksum the 56 leading bytes of an encoded meta should carry.
uint64_t MetaChecksum(const char* p);

// Writes a page header at p.
void PutPageHeader(char* p, uint64_t id, uint16_t flags, uint16_t count, uint32_t overflow);

}  // namespace etcdpp::backend::bbolt
