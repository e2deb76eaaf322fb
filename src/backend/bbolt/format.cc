#include "backend/bbolt/format.h"

namespace etcdpp::backend::bbolt {

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (char c : data) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t MetaChecksum(const char* p) { return Fnv1a64(std::string_view(p, kMetaChecksumOffset)); }

std::string EncodeMeta(const Meta& m) {
  std::string out(kMetaSize, '\0');
  char* p = out.data();
  PutU32(p, m.magic);
  PutU32(p + 4, m.version);
  PutU32(p + 8, m.page_size);
  PutU32(p + 12, m.flags);
  PutU64(p + 16, m.root);
  PutU64(p + 24, m.sequence);
  PutU64(p + 32, m.freelist);
  PutU64(p + 40, m.pgid);
  PutU64(p + 48, m.txid);
  PutU64(p + 56, MetaChecksum(p));
  return out;
}

Meta DecodeMeta(const char* p) {
  Meta m;
  m.magic = GetU32(p);
  m.version = GetU32(p + 4);
  m.page_size = GetU32(p + 8);
  m.flags = GetU32(p + 12);
  m.root = GetU64(p + 16);
  m.sequence = GetU64(p + 24);
  m.freelist = GetU64(p + 32);
  m.pgid = GetU64(p + 40);
  m.txid = GetU64(p + 48);
  m.checksum = GetU64(p + 56);
  return m;
}

void PutPageHeader(char* p, uint64_t id, uint16_t flags, uint16_t count, uint32_t overflow) {
  PutU64(p, id);
  PutU16(p + 8, flags);
  PutU16(p + 10, count);
  PutU32(p + 12, overflow);
}

}  // namespace etcdpp::backend::bbolt
