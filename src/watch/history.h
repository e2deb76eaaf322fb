#pragma once
// Reads the events of past revisions from the backend's key bucket, for watchers that start
// behind the store (etcd's syncWatchers range read and kvsToEvents).

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "mvcc/kvstore.h"
#include "watch/key_range.h"

namespace etcdpp::watch {

// The events of revisions [from, to] in revision order, at most max_revs main revisions
// (0: no limit). *last receives the last revision read through (to, or less when cut short).
[[nodiscard]] absl::StatusOr<std::vector<EventPtr>> ReadHistory(const mvcc::KvStore& kv,
                                                                int64_t from, int64_t to,
                                                                int max_revs, int64_t* last);

}  // namespace etcdpp::watch
