#pragma once
// FaultInjectionEnv: an Env for tests that wraps another and simulates power loss and I/O errors
// (as leveldb's db/fault_injection_test.cc). It feeds every change made through it to a
// DurabilityModel (common/durability_model.h, which states the rules), so that
// DropUnsyncedData() makes the real files look like a machine that lost power:
//  - file contents go back to their last Sync/Fsync: later writes, truncations and
//    preallocations are undone (or, with PowerLoss::torn, each file keeps a random, seeded
//    prefix of them);
//  - files and directories created, files renamed and files or directories removed since the
//    last SyncDir of their directory (for a rename: the destination's) are reverted, newest first:
//    creations vanish, a rename goes back and the file it replaced returns, a removed file
//    returns with its synced contents.
// Files that existed before the env first saw them count as synced.
//
// A removed or replaced file is kept as a copy of its synced contents in memory, not as a hard
// link in a trash directory: Env has no link(), a trash entry inside the watched directory would
// show in GetChildren and make RemoveDir fail, and the env cannot know a directory outside them
// on the same filesystem. Files tests remove are small (WAL segments, snapshots), and the copy is
// freed once the removal is made durable by SyncDir.
//
// FailNextWrite(n) / FailNextSync(n) let n more write-like calls (WriteAt, Append, Truncate,
// Preallocate) or syncs (Sync, Fsync, SyncDir) through, on any file, then make the next one fail
// with an injected error (InternalError) without touching the file. Each arms one failure.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/durability_model.h"
#include "common/env.h"
#include "common/mutex.h"

namespace etcdpp {

class FaultInjectionEnv final : public EnvWrapper {
 public:
  // `base` does the real I/O and must outlive this env.
  explicit FaultInjectionEnv(Env* base) : EnvWrapper(base), model_(base) {}
  ~FaultInjectionEnv() override;

  // Simulates a power loss; see the file comment. The default drops every unsynced change;
  // DropUnsyncedData(PowerLoss{.torn = true, .seed = s}) keeps a random prefix per file. Close
  // the files first (like a crash, the handles are gone afterwards); later changes through old
  // handles are not tracked.
  [[nodiscard]] absl::Status DropUnsyncedData(const PowerLoss& power_loss = {});
  void FailNextWrite(int after = 0) { fail_write_countdown_ = after; }
  void FailNextSync(int after = 0) { fail_sync_countdown_ = after; }
  // Number of successful Sync/Fsync calls on files so far.
  int sync_count() const { return sync_count_; }

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                               OpenMode mode) override;
  [[nodiscard]] absl::Status RenameFile(const std::string& from, const std::string& to) override;
  [[nodiscard]] absl::Status RemoveFile(const std::string& path) override;
  [[nodiscard]] absl::Status RemoveDir(const std::string& path) override;
  [[nodiscard]] absl::Status CreateDirs(const std::string& path) override;
  [[nodiscard]] absl::Status SyncDir(const std::string& dir) override;

 private:
  friend class FaultFile;  // calls the hooks below
  using FileId = DurabilityModel::FileId;

  // Hooks for FaultFile: fail if a fault is armed, else tell the model what the change undoes.
  [[nodiscard]] absl::Status BeforeWrite(FileId id, const File& file, uint64_t offset,
                                         uint64_t len);
  [[nodiscard]] absl::Status BeforeResize(FileId id, const File& file, uint64_t size);
  [[nodiscard]] absl::Status CheckWriteFault();
  [[nodiscard]] absl::Status CheckSyncFault();
  void AfterSync(FileId id);
  // What `path` holds now, as a removal or a rename over it would need to bring it back.
  [[nodiscard]] absl::StatusOr<Preserved> PreserveLocked(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Calls to let through before the armed failure; -1 when disarmed.
  std::atomic<int> fail_write_countdown_{-1};
  std::atomic<int> fail_sync_countdown_{-1};
  std::atomic<int> sync_count_{0};

  Mutex mu_;
  DurabilityModel model_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp
