#pragma once
// FaultInjectionEnv: an Env for tests that wraps another and simulates crashes and I/O errors
// (as leveldb's db/fault_injection_test.cc).
//
// It remembers, for every file written through it, what has reached "stable storage":
//  - a file's contents as of its last Sync/Fsync (its size, and the old bytes of any region
//    below that size overwritten since);
//  - file creations and renames, once the parent directory was synced with SyncDir.
// DropUnsyncedData() then makes the real files look like a machine that lost power: writes since
// the last sync are undone and the file truncated back to its last synced size, renames not yet
// made durable are reverted (newest first), and files created since their directory's last sync
// are removed. Files that existed before the env first opened them count as synced. Removals
// are treated as durable at once.
//
// FailNextWrite(n) / FailNextSync(n) let n more write-like calls (WriteAt, Append, Truncate,
// Preallocate) or syncs (Sync, Fsync, SyncDir) through, on any file, then make the next one fail
// with an injected error (InternalError) without touching the file. Each arms one failure.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/mutex.h"

namespace etcdpp {

class FaultInjectionEnv final : public Env {
 public:
  // `base` does the real I/O and must outlive this env.
  explicit FaultInjectionEnv(Env* base) : base_(base) {}
  ~FaultInjectionEnv() override;

  // Simulates a power loss; see the file comment. Close the files first (like a crash, the
  // handles are gone afterwards); later syncs start tracking afresh.
  [[nodiscard]] absl::Status DropUnsyncedData();
  void FailNextWrite(int after = 0) { fail_write_countdown_ = after; }
  void FailNextSync(int after = 0) { fail_sync_countdown_ = after; }
  // Number of successful Sync/Fsync calls on files so far.
  int sync_count() const { return sync_count_; }

  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                 OpenMode mode) override;
  absl::StatusOr<std::string> ReadFileToString(const std::string& path) override {
    return base_->ReadFileToString(path);
  }
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RemoveDir(const std::string& path) override { return base_->RemoveDir(path); }
  absl::Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  bool IsDirectory(const std::string& path) override { return base_->IsDirectory(path); }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }
  void SleepForMicroseconds(uint64_t micros) override { base_->SleepForMicroseconds(micros); }

 private:
  friend class FaultFile;  // calls the hooks below

  struct Undo {
    uint64_t offset;
    std::string old_bytes;
  };
  struct FileState {
    std::string path;          // current path (renames move it)
    uint64_t synced_size = 0;  // size at the last sync
    std::vector<Undo> undo;    // old contents below synced_size overwritten since that sync
  };
  struct PendingRename {
    std::string from;
    std::string to;
  };

  // Hooks for FaultFile: fail if a fault is armed, else remember what a write would undo.
  absl::Status BeforeWrite(FileState* state, const File& file, uint64_t offset, uint64_t len);
  absl::Status BeforeTruncate(FileState* state, const File& file, uint64_t size);
  absl::Status CheckWriteFault();
  absl::Status CheckSyncFault();
  void AfterSync(FileState* state, uint64_t size);
  absl::Status RestoreFile(const FileState& state);
  void MovePathsLocked(const std::string& from, const std::string& to)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  Env* const base_;

  // Calls to let through before the armed failure; -1 when disarmed.
  std::atomic<int> fail_write_countdown_{-1};
  std::atomic<int> fail_sync_countdown_{-1};
  std::atomic<int> sync_count_{0};

  Mutex mu_;
  // Every file opened through this env, by current path. shared_ptr: a File handle and this map
  // both refer to the state, and the state must outlive the handle for DropUnsyncedData.
  std::map<std::string, std::shared_ptr<FileState>> files_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> pending_creates_ ABSL_GUARDED_BY(mu_);  // current paths
  std::vector<PendingRename> pending_renames_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp
