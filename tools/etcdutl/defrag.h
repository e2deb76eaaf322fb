#pragma once
// etcdutl defrag --data-dir: defragments a stopped member's backend offline (etcd 3.5's
// etcdutl DefragData), with the server's own Backend::Defragment (src/backend/backend_defrag.cc).
//
// A member holds flock locks on its WAL segments while it runs (src/wal/wal.cc); the data dir is
// refused when any of them is locked, and those locks are held until the defragmentation ends so
// that a member started meanwhile fails to open its WAL. (etcd 3.5 waits instead, for bbolt's
// lock on the db file; LMDB has no such lock, so waiting would not protect the file.)

#include <string>

#include "absl/status/status.h"

namespace etcdpp::tools {

// Defragments <data_dir>/member/snap/db. Log lines (etcd's "defragmenting" and "finished
// defragmenting directory", zap's console form) go to `log`. Errors carry etcd's messages
// ("stat <db>: no such file or directory"); the caller wraps them as etcdutl does.
[[nodiscard]] absl::Status DefragData(const std::string& data_dir, std::string* log);

}  // namespace etcdpp::tools
