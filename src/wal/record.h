#pragma once
// The WAL's on-disk format: segments and records. This comment is the spec.
//
// SEGMENTS. A WAL directory holds segment files named "%016x-%016x.wal" (lower-case hex):
// a sequence number (0, 1, 2, ... with no gaps) and the raft index of the first entry the
// segment was opened for (the last entry index written before it, plus one; 0 for the first).
// Segments are preallocated to Options::segment_size bytes (64 MiB) with zeroes. A batch is
// always written whole into the current (tail) segment; once the tail's end passes
// segment_size it is truncated at its last record and synced, and the next segment is written
// as "<name>.tmp" (preallocated; a CRC record, the metadata record, the last hard state if any),
// synced, renamed to its final name, and the directory synced. So every segment but the last
// ends exactly at its last record; the last one ends with preallocated zeroes. The first
// segment is made in "<dir>.tmp" (a CRC record with crc 0, the metadata record and an empty
// snapshot marker), synced, then that directory is renamed to <dir> and its parent synced.
//
// RECORDS. Each record starts at an 8-byte aligned offset:
//
//   +----------------------+-------------+------------+-----------------+------------------+
//   | length field (8, LE) | crc (4, LE) | type (1)   | data (n - 5)    | pad (0..7 zeroes)|
//   +----------------------+-------------+------------+-----------------+------------------+
//
//   length field: the low 56 bits hold n, the byte count of crc + type + data (so n >= 5).
//     pad = (8 - n % 8) % 8 bytes of zeroes follow so the next record is aligned. When pad is
//     not 0 the top byte is 0x80 | pad, else 0 (etcd's frame, so a length never straddles a
//     sector and is never torn). A length field of 0 marks the end of the segment's records.
//   crc: CRC-32C chained through the log. For every type but kCrc it is
//     crc32c::Extend(previous record's crc, type byte followed by data); for kCrc it is the
//     running crc itself, with empty data (the first record of every segment: it carries the
//     chain across segments; 0 in the first segment).
//   type: RecordType below. data, by type (varints are LEB128 unsigned, as protobuf's):
//     kMetadata  opaque bytes given to Wal::Create; identical in every segment
//     kEntry     varint term, varint index, 1 byte entry type (0 normal, 1 conf change),
//                then the entry's data to the end of the record
//     kState     varint term, varint vote, varint commit (raft::HardState)
//     kCrc       empty
//     kSnapshot  varint index, varint term (a snapshot marker: the log may be opened here)
//
// READING. Records are read in order from the segment whose first index is the largest not
// above the snapshot index being opened. A record whose length, type, padding or crc is wrong
// is corruption, except at the torn tail of the last segment: a record there that runs past
// the end of the file, has a 512-byte sector that is all zeroes (a write that never reached the
// disk), or is followed by nothing but zeroes is a write cut short by a crash; it and
// everything after it are dropped and zeroed before appending resumes. Corruption anywhere
// else is reported (DataLossError naming the file and the byte offset) and never skipped.
// Entries with an index not above the last one read replace the suffix from that index on.

#include <cstdint>
#include <string>
#include <string_view>

namespace etcdpp::wal {

enum class RecordType : uint8_t {
  kMetadata = 1,
  kEntry = 2,
  kState = 3,
  kCrc = 4,
  kSnapshot = 5,
};

inline constexpr size_t kLengthFieldSize = 8;
inline constexpr size_t kRecordHeaderSize = 5;  // crc + type
inline constexpr size_t kSectorSize = 512;
// Larger records are corruption, never a torn tail (raft caps entries far below this).
inline constexpr uint64_t kMaxRecordSize = 64ull << 20;

// Appends one framed, padded record to *out. *crc is the running crc: it is extended over the
// record and updated (a kCrc record stores it unchanged; its data must be empty).
void AppendRecord(RecordType type, std::string_view data, uint32_t* crc, std::string* out);

struct Record {
  RecordType type = RecordType::kMetadata;
  std::string_view data;  // points into the segment buffer
};

// Reads the records of one segment, held whole in memory, checking the crc chain.
class SegmentReader {
 public:
  enum class Result { kRecord, kEnd, kBad };

  // `buf` must outlive the reader; `crc` is the running crc carried from the previous segment
  // (0 when reading starts here).
  SegmentReader(std::string_view buf, uint32_t crc) : buf_(buf), crc_(crc) {}

  // kRecord: *rec is the next valid record. kEnd: no more records (EOF or a zero length field,
  // followed only by zeroes). kBad: the bytes at bad_offset() are not a valid record (or
  // non-zero bytes follow the end marker); see reason() and may_be_torn().
  Result Next(Record* rec);

  // The end of the last valid record: where appending would resume.
  uint64_t offset() const { return offset_; }
  uint32_t crc() const { return crc_; }
  uint64_t bad_offset() const { return offset_; }
  const std::string& reason() const { return reason_; }
  // For kBad: whether the damage looks like a write cut short by a crash (see the spec above).
  // Only meaningful for the last segment.
  bool may_be_torn() const { return torn_; }

 private:
  Result Bad(std::string reason, bool torn);
  bool ZeroFrom(uint64_t pos) const;
  bool HasZeroSector(uint64_t begin, uint64_t end) const;

  const std::string_view buf_;
  uint32_t crc_;
  uint64_t offset_ = 0;
  std::string reason_;
  bool torn_ = false;
};

}  // namespace etcdpp::wal
