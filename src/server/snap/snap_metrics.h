#pragma once
// The snapshot metrics etcd exports (etcd_debugging_snap_save_*, etcd_network_snapshot_*),
// registered in the server's registry on first use.

#include <cstdint>

#include "absl/time/time.h"

namespace etcdpp::server::snap_metrics {

// Registers the families now (etcd's exist from start-up, before the first snapshot).
void Register();
// A snapshot file and its WAL marker were saved, taking `d`.
void Saved(absl::Duration d);
// Inside the save of a snapshot file: encoding it, then writing and fsyncing it.
void Marshalled(absl::Duration d);
void FileSynced(absl::Duration d);
// A received database was written (`d`, from the first byte to the rename), its fsync `sync`.
void DbSaved(absl::Duration d, absl::Duration sync);
// A snapshot transfer to (sent) or from (received) a peer began / ended.
void SendStarted(uint64_t peer);
void Sent(uint64_t peer, bool ok, absl::Duration d);
void ReceiveStarted(uint64_t peer);
void Received(uint64_t peer, bool ok, absl::Duration d);
// A received snapshot was installed (the backend swapped in).
void Applied();

}  // namespace etcdpp::server::snap_metrics
