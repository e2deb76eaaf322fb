#pragma once
// etcd's sendFragments (v3rpc/watch.go), shared by the member's watch streams and the
// grpc-proxy's: a WatchResponse too large for one message, split for a watcher created with
// fragment = true.

#include <cstddef>
#include <vector>

#include "etcdserverpb/rpc.pb.h"

namespace etcdpp::server {

// etcd's default --max-request-bytes (1.5 MiB): the proxy's fragment size, as it has no
// member configuration of its own.
inline constexpr size_t kDefaultFragmentBytes = 1536 * 1024;

// Unchanged when it is smaller than `limit` bytes or holds fewer than two events; otherwise
// split into responses of at most `limit` bytes (each holding at least one event), all but
// the last with fragment = true.
std::vector<etcdserverpb::WatchResponse> Fragment(etcdserverpb::WatchResponse r, size_t limit);

}  // namespace etcdpp::server
