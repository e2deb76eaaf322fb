// Fuzzes the WAL's record reader and payload decoders (src/wal/record.h, codec.h): the input is
// one segment's bytes, read record by record as Wal::ReadAll reads them, each record's data
// decoded by its type. Whatever the bytes, the reader must stop at a kBad or kEnd without
// reading out of bounds, and a record it accepts must lie inside the buffer, past the previous
// one. A decoded entry, hard state or snapshot marker re-encodes to bytes that decode to it.
// The payload decoders also read the whole input, so that they are fuzzed past the crc check.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/status/statusor.h"
#include "wal/codec.h"
#include "wal/record.h"

namespace {

using etcdpp::wal::Record;
using etcdpp::wal::RecordType;
using etcdpp::wal::SegmentReader;

// A failed property: abort so libFuzzer keeps the input.
void Check(bool ok) {
  if (!ok) std::abort();
}

template <typename T, typename Encode, typename Decode>
void RoundTrip(std::string_view data, Decode decode, Encode encode) {
  absl::StatusOr<T> decoded = decode(data);
  if (!decoded.ok()) return;
  absl::StatusOr<T> again = decode(encode(*decoded));
  Check(again.ok() && *again == *decoded);
}

void DecodeRecord(const Record& rec) {
  switch (rec.type) {
    case RecordType::kEntry:
      RoundTrip<etcdpp::raft::Entry>(rec.data, etcdpp::wal::DecodeEntry, etcdpp::wal::EncodeEntry);
      break;
    case RecordType::kState:
      RoundTrip<etcdpp::raft::HardState>(rec.data, etcdpp::wal::DecodeHardState,
                                         etcdpp::wal::EncodeHardState);
      break;
    case RecordType::kSnapshot:
      RoundTrip<etcdpp::wal::WalSnapshot>(rec.data, etcdpp::wal::DecodeSnapshot,
                                          etcdpp::wal::EncodeSnapshot);
      break;
    case RecordType::kMetadata:
    case RecordType::kCrc:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view buf(reinterpret_cast<const char*>(data), size);
  // The first segment starts its chain at 0; a later one carries a crc: try both.
  for (uint32_t start_crc : {0u, 0x12345678u}) {
    SegmentReader reader(buf, start_crc);
    uint64_t last_end = 0;
    Record rec;
    for (;;) {
      SegmentReader::Result r = reader.Next(&rec);
      if (r != SegmentReader::Result::kRecord) {
        if (r == SegmentReader::Result::kBad && reader.may_be_torn()) {
          Check(reader.bad_end() >= reader.bad_offset() && reader.bad_end() <= size);
        }
        break;
      }
      Check(reader.offset() > last_end && reader.offset() <= size);
      Check(rec.data.data() >= buf.data() &&
            rec.data.data() + rec.data.size() <= buf.data() + size);
      last_end = reader.offset();
      DecodeRecord(rec);
    }
  }
  for (RecordType type : {RecordType::kEntry, RecordType::kState, RecordType::kSnapshot}) {
    DecodeRecord(Record{type, buf});
  }
  return 0;
}
