#pragma once
// Env: the seam through which etcdpp touches the operating system -- files, directories,
// fsync, preallocation, lock files, the clock and sleeping (as leveldb's include/leveldb/env.h).
// Production code uses Env::Default(); tests wrap it (FaultInjectionEnv) to drop unsynced data or
// fail writes. Every method returns a Status instead of throwing; I/O failures carry errno's text
// and the path.
//
// Thread safety: Env methods may be called from any thread. A File is used by one thread at a
// time (its owner); a FileLock is released when destroyed.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace etcdpp {

// An open file supporting positional reads and writes, appends, syncs and size changes.
class File {
 public:
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  virtual ~File() = default;  // closes the descriptor if Close was not called

  // The path the file was opened with (not updated by a later rename).
  virtual const std::string& path() const = 0;

  // Writes data at `offset` (pwrite); the file grows if needed.
  [[nodiscard]] virtual absl::Status WriteAt(uint64_t offset, std::string_view data) = 0;
  // Writes data at the append position: the file's size when opened, advanced by each Append
  // (and moved to `size` by Truncate). Positional writes do not move it.
  [[nodiscard]] virtual absl::Status Append(std::string_view data) = 0;
  // Reads up to n bytes at offset into scratch; returns how many were read (fewer at EOF).
  [[nodiscard]] virtual absl::StatusOr<size_t> ReadAt(uint64_t offset, size_t n,
                                                      char* scratch) const = 0;
  // fdatasync: data and the metadata needed to read it back (size) reach stable storage.
  [[nodiscard]] virtual absl::Status Sync() = 0;
  // fsync: data and all metadata.
  [[nodiscard]] virtual absl::Status Fsync() = 0;
  // Sets the file's size; bytes past `size` are gone, growth reads as zeroes.
  [[nodiscard]] virtual absl::Status Truncate(uint64_t size) = 0;
  // Reserves disk blocks so the file is at least `size` bytes (fallocate; falls back to writing
  // zeroes where the filesystem does not support it). New bytes read as zero.
  [[nodiscard]] virtual absl::Status Preallocate(uint64_t size) = 0;
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Size() const = 0;
  // Closes the descriptor; later calls fail. Does not sync.
  [[nodiscard]] virtual absl::Status Close() = 0;
};

// An exclusive advisory lock (flock) held on a file; released when destroyed.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock() = default;
  virtual const std::string& path() const = 0;
};

enum class OpenMode {
  kCreateNew,         // fails with AlreadyExists if the file exists
  kCreateOrTruncate,  // creates, or empties an existing file
  kOpenExisting,      // fails with NotFound if the file does not exist
  kOpenOrCreate,      // keeps existing contents
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The POSIX environment; never deleted.
  static Env* Default();

  // Opens `path` for reading and writing; a file it creates has mode 0600 (etcd's
  // PrivateFileMode), less the umask.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                                       OpenMode mode) = 0;
  // Reads a whole file.
  [[nodiscard]] virtual absl::StatusOr<std::string> ReadFileToString(const std::string& path) = 0;
  // rename(2): atomically replaces `to` (a file, or an empty directory when `from` is one).
  [[nodiscard]] virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  [[nodiscard]] virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Removes an empty directory.
  [[nodiscard]] virtual absl::Status RemoveDir(const std::string& path) = 0;
  // mkdir -p: creates the directory and missing parents, mode 0700 (etcd's PrivateDirMode);
  // OK if it exists.
  [[nodiscard]] virtual absl::Status CreateDirs(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, without "." and "..", in no order.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  [[nodiscard]] virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // fsyncs a directory so that creations, removals and renames inside it are durable.
  [[nodiscard]] virtual absl::Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive flock on `path` (created if missing). Fails with Unavailable if another
  // holder (in this or another process) has it.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;

  // Microseconds since some fixed point (a monotonic clock); only differences are meaningful.
  virtual uint64_t NowMicros() = 0;
  // Microseconds since the Unix epoch (the wall clock): for what must differ between runs of
  // the process, such as the start time inside request and lease ids.
  virtual uint64_t WallMicros() = 0;
  virtual void SleepForMicroseconds(uint64_t micros) = 0;

  // rm -r: removes a file or a directory tree; OK if `path` does not exist. Built on the
  // primitives above, so wrappers see each removal.
  [[nodiscard]] absl::Status RemoveAll(const std::string& path);
  // mkdir -p that survives a power loss: each directory it creates is made durable in its
  // parent (SyncDir of the parent after the mkdir). OK if `path` exists. Built on the primitives
  // above.
  [[nodiscard]] absl::Status CreateDirsSynced(const std::string& path);
};

// An Env that forwards every call to another (leveldb's EnvWrapper): wrappers override only
// what they change.
class EnvWrapper : public Env {
 public:
  // `target` must outlive the wrapper.
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                               OpenMode mode) override {
    return target_->OpenFile(path, mode);
  }
  [[nodiscard]] absl::StatusOr<std::string> ReadFileToString(const std::string& path) override {
    return target_->ReadFileToString(path);
  }
  [[nodiscard]] absl::Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  [[nodiscard]] absl::Status RemoveFile(const std::string& path) override {
    return target_->RemoveFile(path);
  }
  [[nodiscard]] absl::Status RemoveDir(const std::string& path) override {
    return target_->RemoveDir(path);
  }
  [[nodiscard]] absl::Status CreateDirs(const std::string& path) override {
    return target_->CreateDirs(path);
  }
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    return target_->GetChildren(dir);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  bool IsDirectory(const std::string& path) override { return target_->IsDirectory(path); }
  [[nodiscard]] absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return target_->GetFileSize(path);
  }
  [[nodiscard]] absl::Status SyncDir(const std::string& dir) override {
    return target_->SyncDir(dir);
  }
  [[nodiscard]] absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    return target_->LockFile(path);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }
  uint64_t WallMicros() override { return target_->WallMicros(); }
  void SleepForMicroseconds(uint64_t micros) override { target_->SleepForMicroseconds(micros); }

 private:
  Env* const target_;
};

// Joins two path components with one '/'.
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory part of a path ("a/b/c" -> "a/b", "c" -> ".", "/c" -> "/").
std::string DirName(std::string_view path);

}  // namespace etcdpp
