#pragma once
// NoSyncEnv: an Env whose syncs do nothing (etcd's --unsafe-no-fsync). Files, directories and
// everything else go to the wrapped Env unchanged; File::Sync, File::Fsync and Env::SyncDir
// return OK without touching the disk. Data written through it survives a process crash (the
// page cache keeps it) but not a power loss: for tests and throwaway clusters only, as etcd says
// of the flag.

#include <memory>
#include <string>

#include "common/env.h"

namespace etcdpp {

class NoSyncEnv final : public EnvWrapper {
 public:
  // `base` does the real I/O and must outlive this env.
  explicit NoSyncEnv(Env* base) : EnvWrapper(base) {}

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                               OpenMode mode) override;
  [[nodiscard]] absl::Status SyncDir(const std::string&) override { return absl::OkStatus(); }
};

}  // namespace etcdpp
