#pragma once
// Recovery from a power-loss journal (powerloss_journal.h): replays the records into a
// DurabilityModel, checks that the files still are where the journal says, applies the power
// loss, then empties the journal and its trash directory so the next run starts afresh.
//
// Call it only once every process that wrote the journal is dead.

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/durability_model.h"
#include "common/env.h"

namespace etcdpp::powerloss {

struct ReplayStats {
  uint64_t records = 0;
  uint64_t bytes_written = 0;  // by the process through tracked descriptors (kChange lengths)
  uint64_t journal_bytes = 0;
};

// Errors name the file (or journal offset) at fault; the files are left untouched when the
// journal cannot be read or does not match them.
[[nodiscard]] absl::StatusOr<ReplayStats> RecoverFromJournal(Env* env, const std::string& journal,
                                                             const PowerLoss& options);

// Prints one line per record (offset, pid, type, fields; old bytes as their count) to `out`,
// for debugging a run. Does not change anything.
[[nodiscard]] absl::Status DumpJournal(Env* env, const std::string& journal, std::FILE* out);

}  // namespace etcdpp::powerloss
