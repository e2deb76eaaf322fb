// Fuzzes the raft snapshot file decoder (src/server/snap/snap_files.h): the input is a whole
// member/snap/<term>-<index>.snap file, decoded as it is and again with the CRC its payload
// calls for (so that the fuzzer reaches the payload decoding past the CRC check). Decoding is an
// error or a snapshot, never a crash; a snapshot it accepts re-encodes to a file that decodes to
// the same snapshot.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "common/crc32c.h"
#include "raft/types.h"
#include "server/snap/snap_files.h"

namespace {

void Decode(const std::string& bytes) {
  absl::StatusOr<etcdpp::raft::Snapshot> snap = etcdpp::server::DecodeSnapshotFile(bytes);
  if (!snap.ok()) return;
  absl::StatusOr<etcdpp::raft::Snapshot> again =
      etcdpp::server::DecodeSnapshotFile(etcdpp::server::EncodeSnapshotFile(*snap));
  if (!again.ok() || !(*again == *snap)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  Decode(bytes);
  if (bytes.size() < 4) return 0;
  const uint32_t crc = etcdpp::crc32c::Value(std::string_view(bytes).substr(4));
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>(crc >> (24 - 8 * i));  // big-endian
  Decode(bytes);
  return 0;
}
