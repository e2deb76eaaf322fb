#pragma once
// ReadOnly: ReadIndex requests waiting for a heartbeat quorum (etcd-io/raft read_only.go, the
// ReadOnlySafe option). The leader records its commit index with each request, broadcasts a
// heartbeat carrying the request context, and answers once a quorum acknowledged it: by then it
// is known to still be the leader, so reads at that index are linearizable.

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "raft/types.h"

namespace etcdpp::raft {

struct ReadIndexStatus {
  Message req;  // the kReadIndex message; req.entries[0].data is the request context
  uint64_t index = 0;
  absl::flat_hash_map<uint64_t, bool> acks;
};

class ReadOnly {
 public:
  // Adds a request for `index` unless one with the same context is pending.
  void AddRequest(uint64_t index, const Message& m);
  // Records an ack of `ctx` by `id`; returns the acks so far (empty if ctx is unknown).
  const absl::flat_hash_map<uint64_t, bool>* RecvAck(uint64_t id, const std::string& ctx);
  // Removes and returns the requests up to and including the one for `ctx` (in order).
  std::vector<ReadIndexStatus> Advance(const std::string& ctx);
  // The context of the newest pending request, or "" if none.
  std::string LastPendingRequestCtx() const;
  size_t pending() const { return queue_.size(); }

 private:
  std::map<std::string, ReadIndexStatus> pending_;
  std::deque<std::string> queue_;
};

}  // namespace etcdpp::raft
