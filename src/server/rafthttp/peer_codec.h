#pragma once
// raft::Message <-> internalpb.RaftMessage, the peer transport's wire form (proto/internalpb/
// peer.proto). Decoding validates the enum fields: bad peer data is an error, not a crash.

#include "absl/status/statusor.h"
#include "internalpb/peer.pb.h"
#include "raft/types.h"

namespace etcdpp::server {

void EncodeRaftMessage(const raft::Message& m, internalpb::RaftMessage* out);
[[nodiscard]] absl::StatusOr<raft::Message> DecodeRaftMessage(const internalpb::RaftMessage& in);

}  // namespace etcdpp::server
