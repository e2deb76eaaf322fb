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
// above the snapshot index being opened. A length field of 0 followed by nothing but zeroes ends
// a segment's records (so does the end of the file at a record boundary). A record that fails a
// check is corruption, except a torn final write in the last segment, which is a record that
//   - is cut off by the end of the file: inside its length field, or after a valid length field
//     that claims more bytes than the file holds; or
//   - is an invalid length field followed by nothing but zeroes (only a prefix of the field was
//     written: every record's body holds a non-zero type byte, so no record starts there); or
//   - has a valid length field (5 <= n <= kMaxRecordSize, the top byte matching n's padding;
//     being aligned, a length field is written whole or not at all), fails a later check
//     (unknown type, non-zero padding, crc record with data, crc mismatch: e.g. a sector of its
//     body never written), and is followed, after its extent (length field, n bytes, padding),
//     by nothing but zeroes.
// That is taken for a write a crash cut short before its sync, so never acknowledged. It alone
// is dropped: the segment is cut at its offset and zeroed from there before appending resumes,
// and ReadAll reports the cut (Wal::Contents::torn_tail). Everything else is corruption,
// reported as DataLossError naming the file and the byte offset, never skipped or repaired: a
// bad record followed by any non-zero byte, non-zero bytes after a zero length field, an invalid
// length field with anything but zeroes after it, a broken crc chain at a segment's kCrc record, a
// bad record in any segment but the last. (That includes a multi-sector batch that a power loss
// left with an early sector unwritten and a later one written: none of it was acknowledged, but the
// format cannot tell it from damage to acknowledged records, so the member refuses to start rather
// than guess.) Entries with an index not above the last one read replace the suffix from that index
// on.

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

  // kRecord: *rec is the next valid record. kEnd: no more records (EOF, or a zero length field
  // followed only by zeroes). kBad: the bytes at bad_offset() are not a valid record, or
  // non-zero bytes follow a zero length field; see reason() and may_be_torn(). The reader does
  // not move past a kBad.
  Result Next(Record* rec);

  // The end of the last valid record: where appending would resume.
  uint64_t offset() const { return offset_; }
  uint32_t crc() const { return crc_; }
  uint64_t bad_offset() const { return offset_; }
  // For kBad when may_be_torn(): the end of the bad record (its length field, n bytes and
  // padding), or the end of the buffer when it runs past it.
  uint64_t bad_end() const { return bad_end_; }
  const std::string& reason() const { return reason_; }
  // For kBad: whether the bad record may be a write cut short by a crash, by the rule of READING
  // above (cut off by the end of the buffer, or a valid length field and nothing but zeroes
  // after its extent). Only the last segment may end in a torn write; anywhere else, and
  // whenever this is false, it is corruption.
  bool may_be_torn() const { return torn_; }

 private:
  // kBad that can never be torn.
  Result Corrupt(std::string reason);
  // kBad for a record spanning [offset_, end) whose length field is valid or cut off by the end.
  Result BadRecord(std::string reason, uint64_t end);
  // The offset of the first non-zero byte at or after pos; buf_.size() when there is none.
  uint64_t FirstNonZero(uint64_t pos) const;
  bool ZeroFrom(uint64_t pos) const { return FirstNonZero(pos) == buf_.size(); }

  const std::string_view buf_;
  uint32_t crc_;
  uint64_t offset_ = 0;
  std::string reason_;
  bool torn_ = false;
  uint64_t bad_end_ = 0;
};

}  // namespace etcdpp::wal
