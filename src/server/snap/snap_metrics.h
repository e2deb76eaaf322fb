#pragma once
// The snapshot metrics etcd exports (etcd_debugging_snap_save_*, etcd_network_snapshot_*),
// registered in the server's registry on first use.

#include <cstdint>

#include "absl/time/time.h"

namespace etcdpp::server::snap_metrics {

// A snapshot file and its WAL marker were saved, taking `d`.
void Saved(absl::Duration d);
// A snapshot transfer to (sent) or from (received) a peer ended.
void Sent(uint64_t peer, bool ok, absl::Duration d);
void Received(uint64_t peer, bool ok);
// A received snapshot was installed (the backend swapped in).
void Applied();

}  // namespace etcdpp::server::snap_metrics
