#pragma once
// The v2 store's snapshot format (Store::Save / Store::Recover), version 1. etcd saves its v2
// store as JSON of its Go structures; ours is a binary form of the same content. All integers
// are little-endian; str = u32 length + bytes.
//
//   snapshot  = "ETCDPPV2" u32 version(=1) body u32 crc32c(of everything before it)
//   body      = u64 current_index  stats  node(root)  u32 event_count event...
//   stats     = 15 x u64 in the order of Stats' fields (gets_success ... expire_count)
//   node      = u8 flags(1: dir, 2: has expiry) str path u64 created u64 modified
//               [i64 expiry, Unix nanoseconds]  (file: str value | dir: u32 count node...)
//   event     = str action u64 etcd_index u8 flags(1: refresh, 2: node, 4: prev_node)
//               [extern(node)] [extern(prev_node)]
//   extern    = str key u8 flags(1: value, 2: dir, 4: expiration) [str value]
//               [i64 expiration, Unix nanoseconds] i64 ttl u64 modified u64 created
//               u32 count extern...
//
// The event history (up to 1000 events, oldest first) is saved as etcd saves it, so that a
// watch with a waitIndex finds the same events after a restart. Watchers are not saved.
// Decoding checks the checksum, the version, every length, and that each child's path is its
// parent's path joined with a plain name; anything else is an error, never a crash.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace etcdpp::server::v2store {

class Store;

class SnapshotCodec {
 public:
  static constexpr uint32_t kVersion = 1;
  static std::string Encode(const Store& store);
  // Replaces `store`'s nodes, index, history and counters; `store` is unchanged on error.
  [[nodiscard]] static absl::Status Decode(std::string_view data, Store* store);
};

}  // namespace etcdpp::server::v2store
