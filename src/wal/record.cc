#include "wal/record.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"

namespace etcdpp::wal {
namespace {

void PutFixed(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetFixed(const char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

uint32_t RecordCrc(uint32_t prev, RecordType type, std::string_view data) {
  char t = static_cast<char>(type);
  return crc32c::Extend(crc32c::Extend(prev, &t, 1), data.data(), data.size());
}

bool KnownType(uint8_t t) { return t >= 1 && t <= 5; }

size_t PadFor(uint64_t n) { return (8 - n % 8) % 8; }

}  // namespace

void AppendRecord(RecordType type, std::string_view data, uint32_t* crc, std::string* out) {
  if (type != RecordType::kCrc) *crc = RecordCrc(*crc, type, data);
  uint64_t n = kRecordHeaderSize + data.size();
  size_t pad = PadFor(n);
  uint64_t length_field = n;
  if (pad != 0) length_field |= uint64_t{0x80u | pad} << 56;
  PutFixed(out, length_field, kLengthFieldSize);
  PutFixed(out, *crc, 4);
  out->push_back(static_cast<char>(type));
  out->append(data.data(), data.size());
  out->append(pad, '\0');
}

SegmentReader::Result SegmentReader::Next(Record* rec) {
  const uint64_t size = buf_.size();
  if (offset_ + kLengthFieldSize > size) {
    if (ZeroFrom(offset_)) return Result::kEnd;
    return Bad("truncated length field", /*torn=*/true);
  }
  uint64_t length_field = GetFixed(buf_.data() + offset_, kLengthFieldSize);
  if (length_field == 0) {
    if (ZeroFrom(offset_)) return Result::kEnd;
    return Bad("non-zero bytes after the end of the records", /*torn=*/true);
  }
  uint64_t n = length_field & ((uint64_t{1} << 56) - 1);
  uint8_t top = static_cast<uint8_t>(length_field >> 56);
  size_t pad = PadFor(n);
  uint8_t want_top = pad == 0 ? 0 : static_cast<uint8_t>(0x80 | pad);
  if (n < kRecordHeaderSize || n > kMaxRecordSize || top != want_top) {
    return Bad(absl::StrCat("invalid length field 0x", absl::Hex(length_field)), false);
  }
  const uint64_t body = offset_ + kLengthFieldSize;
  const uint64_t end = body + n + pad;
  if (end > size) return Bad(absl::StrCat("record of ", n, " bytes runs past the end"), true);
  const char* p = buf_.data() + body;
  uint32_t stored_crc = static_cast<uint32_t>(GetFixed(p, 4));
  uint8_t type = static_cast<uint8_t>(p[4]);
  std::string_view data(p + kRecordHeaderSize, n - kRecordHeaderSize);
  bool torn = HasZeroSector(body, end) || ZeroFrom(end);
  if (!KnownType(type)) return Bad(absl::StrCat("unknown record type ", int{type}), torn);
  if (!std::all_of(p + n, p + n + pad, [](char c) { return c == 0; })) {
    return Bad("non-zero padding", torn);
  }
  if (static_cast<RecordType>(type) == RecordType::kCrc) {
    if (!data.empty()) return Bad("crc record with data", torn);
    if (crc_ != 0 && stored_crc != crc_) {
      return Bad(absl::StrCat("crc chain broken: segment carries 0x", absl::Hex(stored_crc),
                              ", previous records end at 0x", absl::Hex(crc_)),
                 false);
    }
    crc_ = stored_crc;
  } else {
    uint32_t want = RecordCrc(crc_, static_cast<RecordType>(type), data);
    if (want != stored_crc) return Bad("crc mismatch", torn);
    crc_ = want;
  }
  rec->type = static_cast<RecordType>(type);
  rec->data = data;
  offset_ = end;
  return Result::kRecord;
}

SegmentReader::Result SegmentReader::Bad(std::string reason, bool torn) {
  reason_ = std::move(reason);
  torn_ = torn;
  return Result::kBad;
}

bool SegmentReader::ZeroFrom(uint64_t pos) const {
  if (pos >= buf_.size()) return true;
  return std::all_of(buf_.begin() + pos, buf_.end(), [](char c) { return c == 0; });
}

// As etcd's isTornEntry: splits [begin, end) at sector boundaries of the file and reports
// whether some piece is all zeroes.
bool SegmentReader::HasZeroSector(uint64_t begin, uint64_t end) const {
  for (uint64_t pos = begin; pos < end;) {
    uint64_t next = std::min(end, (pos / kSectorSize + 1) * kSectorSize);
    if (std::all_of(buf_.begin() + pos, buf_.begin() + next, [](char c) { return c == 0; })) {
      return true;
    }
    pos = next;
  }
  return false;
}

}  // namespace etcdpp::wal
