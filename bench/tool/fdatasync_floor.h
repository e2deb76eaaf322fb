#pragma once
// `etcdpp-bench fdatasync --data-dir DIR`: the disk's raw sync latency, the other half of the
// put 1/1 floor (with grpc-rtt). Each request writes 512 bytes at the tail of a file whose
// blocks are already written (so the sync carries data only, no extent conversion) and calls
// fdatasync, as a WAL append does at best.

#include "bench/tool/options.h"
#include "bench/tool/report.h"

namespace etcdpp::bench {

// Runs opts.total (default 1000) syncs in opts.data_dir into `rec` (category 0); returns the
// seconds taken, or -1 with a message on stderr when the file cannot be written.
double RunFdatasyncFloor(const Options& opts, Recorder* rec);

}  // namespace etcdpp::bench
