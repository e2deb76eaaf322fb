// Fuzzes the v2 store's snapshot decoder (src/server/v2store/snapshot_codec.h), which reads the
// v2 key space from a raft snapshot or the backend: any bytes are an error or a store, never a
// crash. A store it accepts encodes to a snapshot that decodes and encodes to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/v2store/snapshot_codec.h"
#include "server/v2store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using etcdpp::server::v2store::SnapshotCodec;
  using etcdpp::server::v2store::Store;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Store store({"/0", "/1"});
  if (!SnapshotCodec::Decode(in, &store).ok()) return 0;
  const std::string encoded = SnapshotCodec::Encode(store);
  Store again({"/0", "/1"});
  if (!SnapshotCodec::Decode(encoded, &again).ok() || SnapshotCodec::Encode(again) != encoded) {
    std::abort();
  }
  return 0;
}
