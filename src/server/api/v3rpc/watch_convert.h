#pragma once
// Turns the watchable store's answers into etcd's WatchResponse messages (etcd's v3rpc
// sendLoop): prev_kv looked up at mod_revision - 1 for every event that is not a creation,
// canceled with compact_revision, and the fragmentation of large responses (sendFragments).

#include <cstddef>
#include <vector>

#include "etcdserverpb/rpc.pb.h"
#include "mvcc/kvstore.h"
#include "watch/key_range.h"

namespace etcdpp::server {

// Fills everything but the header's cluster, member and term.
etcdserverpb::WatchResponse ToWatchResponse(const watch::Response& r, bool prev_kv,
                                            const mvcc::KvStore& kv);

// etcd's sendFragments: unchanged when it is smaller than `limit` bytes or holds fewer than
// two events; otherwise split into responses of at most `limit` bytes (each holding at least
// one event), all but the last with fragment = true.
std::vector<etcdserverpb::WatchResponse> Fragment(etcdserverpb::WatchResponse r, size_t limit);

}  // namespace etcdpp::server
