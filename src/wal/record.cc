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

// One step of the reader: the length field, then the body, then the crc chain. Each failure is
// classified by Corrupt (never torn) or BadRecord (torn when nothing but zeroes follows it).
SegmentReader::Result SegmentReader::Next(Record* rec) {
  const uint64_t size = buf_.size();
  if (offset_ + kLengthFieldSize > size) {
    if (ZeroFrom(offset_)) return Result::kEnd;
    return BadRecord("truncated length field", offset_ + kLengthFieldSize);
  }
  uint64_t length_field = GetFixed(buf_.data() + offset_, kLengthFieldSize);
  if (length_field == 0) {
    if (ZeroFrom(offset_)) return Result::kEnd;
    return Corrupt(absl::StrCat("zero length field (the end of the records) followed by ",
                                "non-zero bytes at offset ", FirstNonZero(offset_)));
  }
  uint64_t n = length_field & ((uint64_t{1} << 56) - 1);
  uint8_t top = static_cast<uint8_t>(length_field >> 56);
  size_t pad = PadFor(n);
  uint8_t want_top = pad == 0 ? 0 : static_cast<uint8_t>(0x80 | pad);
  if (n < kRecordHeaderSize || n > kMaxRecordSize || top != want_top) {
    // Only a prefix of the length field was written (nothing follows it): a record's body
    // always holds a non-zero type byte, so no record, acknowledged or not, starts here.
    if (ZeroFrom(offset_ + kLengthFieldSize)) {
      return BadRecord(absl::StrCat("torn length field 0x", absl::Hex(length_field)),
                       offset_ + kLengthFieldSize);
    }
    return Corrupt(absl::StrCat("invalid length field 0x", absl::Hex(length_field)));
  }
  const uint64_t body = offset_ + kLengthFieldSize;
  const uint64_t end = body + n + pad;
  if (end > size) return BadRecord(absl::StrCat("record of ", n, " bytes runs past the end"), end);
  const char* p = buf_.data() + body;
  uint32_t stored_crc = static_cast<uint32_t>(GetFixed(p, 4));
  uint8_t type = static_cast<uint8_t>(p[4]);
  std::string_view data(p + kRecordHeaderSize, n - kRecordHeaderSize);
  if (!KnownType(type)) return BadRecord(absl::StrCat("unknown record type ", int{type}), end);
  if (!std::all_of(p + n, p + n + pad, [](char c) { return c == 0; })) {
    return BadRecord("non-zero padding", end);
  }
  if (static_cast<RecordType>(type) == RecordType::kCrc) {
    if (!data.empty()) return BadRecord("crc record with data", end);
    if (crc_ != 0 && stored_crc != crc_) {
      return Corrupt(absl::StrCat("crc chain broken: segment carries 0x", absl::Hex(stored_crc),
                                  ", previous records end at 0x", absl::Hex(crc_)));
    }
    crc_ = stored_crc;
  } else {
    uint32_t want = RecordCrc(crc_, static_cast<RecordType>(type), data);
    if (want != stored_crc) return BadRecord("crc mismatch", end);
    crc_ = want;
  }
  rec->type = static_cast<RecordType>(type);
  rec->data = data;
  offset_ = end;
  return Result::kRecord;
}

SegmentReader::Result SegmentReader::Corrupt(std::string reason) {
  reason_ = std::move(reason);
  torn_ = false;
  bad_end_ = offset_;
  return Result::kBad;
}

// The record whose extent is [offset_, end) failed a check after its length field proved valid
// (or was cut off by the end): it may be torn only when nothing but zeroes follows that extent.
SegmentReader::Result SegmentReader::BadRecord(std::string reason, uint64_t end) {
  const uint64_t after = FirstNonZero(end);
  reason_ = std::move(reason);
  torn_ = after == buf_.size();
  if (!torn_) absl::StrAppend(&reason_, "; non-zero bytes follow it at offset ", after);
  bad_end_ = std::min<uint64_t>(end, buf_.size());
  return Result::kBad;
}

uint64_t SegmentReader::FirstNonZero(uint64_t pos) const {
  if (pos >= buf_.size()) return buf_.size();
  auto it = std::find_if(buf_.begin() + pos, buf_.end(), [](char c) { return c != 0; });
  return static_cast<uint64_t>(it - buf_.begin());
}

}  // namespace etcdpp::wal
