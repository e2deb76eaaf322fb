// Fuzzes the decoding of what a peer sends on the peer port (src/server/rafthttp/): the input is
// one internalpb.PeerBatch as the stream reader receives it. Every message is decoded as the
// transport decodes it before delivery (DecodeRaftMessage), and each conf change entry as the
// node thread decodes it (raft::DecodeConfChange). Bad peer data is an error, never a crash; a
// decoded message (and conf change) re-encodes to one that decodes to the same.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/status/statusor.h"
#include "internalpb/peer.pb.h"
#include "raft/confchange.h"
#include "raft/types.h"
#include "server/rafthttp/peer_codec.h"

namespace {

void DecodeOne(const etcdpp::internalpb::RaftMessage& pm) {
  absl::StatusOr<etcdpp::raft::Message> m = etcdpp::server::DecodeRaftMessage(pm);
  if (!m.ok()) return;
  for (const etcdpp::raft::Entry& e : m->entries) {
    if (e.type == etcdpp::raft::EntryType::kConfChange) {
      absl::StatusOr<etcdpp::raft::ConfChange> cc = etcdpp::raft::DecodeConfChange(e.data);
      if (!cc.ok()) continue;
      absl::StatusOr<etcdpp::raft::ConfChange> back =
          etcdpp::raft::DecodeConfChange(etcdpp::raft::EncodeConfChange(*cc));
      if (!back.ok() || !(*back == *cc)) std::abort();
    }
  }
  etcdpp::internalpb::RaftMessage again;
  etcdpp::server::EncodeRaftMessage(*m, &again);
  absl::StatusOr<etcdpp::raft::Message> back = etcdpp::server::DecodeRaftMessage(again);
  if (!back.ok() || !(*back == *m)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  etcdpp::internalpb::PeerBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  for (const etcdpp::internalpb::RaftMessage& pm : batch.messages()) DecodeOne(pm);
  return 0;
}
