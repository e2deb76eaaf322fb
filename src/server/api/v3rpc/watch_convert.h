#pragma once
// Turns the watchable store's answers into etcd's WatchResponse messages (etcd's v3rpc
// sendLoop): prev_kv looked up at mod_revision - 1 for every event that is not a creation,
// canceled with compact_revision. Fragmentation: server/api/watch_fragment.h.

#include "etcdserverpb/rpc.pb.h"
#include "mvcc/kvstore.h"
#include "watch/key_range.h"

namespace etcdpp::server {

// Fills everything but the header's cluster, member and term.
etcdserverpb::WatchResponse ToWatchResponse(const watch::Response& r, bool prev_kv,
                                            const mvcc::KvStore& kv);

}  // namespace etcdpp::server
