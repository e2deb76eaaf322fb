#pragma once
// The state behind libetcdpp_powerloss.so (powerloss_shim.cc holds the interposed functions):
// configuration, the real libc functions, the table of tracked descriptors, path resolution and
// journal appends. Plain C++ and the C library only; nothing here calls an interposed function
// except through Real*(), so the shim never sees its own I/O.
//
// Locking: one process-wide mutex (Section). Everything that writes the journal or touches the
// descriptor table beyond the flags runs inside a Section; a thread-local flag makes every
// interposed call made while a Section is held on this thread (e.g. from a signal handler) pass
// straight through instead of deadlocking. fork() takes the mutex around itself (pthread_atfork).

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "powerloss_journal.h"

namespace etcdpp::powerloss {

// The real functions, resolved with dlsym(RTLD_NEXT) on first use.
using OpenFn = int (*)(const char*, int, ...);
using OpenatFn = int (*)(int, const char*, int, ...);
using CloseFn = int (*)(int);
using WriteFn = ssize_t (*)(int, const void*, size_t);
using LinkFn = int (*)(const char*, const char*);
using MkdirFn = int (*)(const char*, mode_t);
OpenFn RealOpen();
CloseFn RealClose();
WriteFn RealWrite();
LinkFn RealLink();
MkdirFn RealMkdir();
// Any other real function by name (nullptr if the C library lacks it).
void* RealByName(const char* name, std::atomic<void*>* cache);

struct Config {
  std::string root;     // canonical, no trailing '/'
  std::string journal;  // absolute
  std::string trash;    // journal + ".trash"
  int journal_fd = -1;
  // ETCDPP_POWERLOSS_FAIL_RENAME_TO: a rename whose target under the root ends with this fails
  // with EIO and changes nothing (a disk fault for tests; "" = none).
  std::string fail_rename_to;
  // ETCDPP_POWERLOSS_DELAY_SYNC=<suffix>:<ms>: fsync/fdatasync of a tracked file whose path
  // ends with <suffix> first sleeps <ms> milliseconds (a slow disk; "" = none).
  std::string delay_sync_suffix;
  unsigned delay_sync_ms = 0;
  // ETCDPP_POWERLOSS_DISK_FULL=<suffix>:<bytes>: a write to a tracked file whose path ends with
  // <suffix> that would reach past <bytes> fails with ENOSPC and writes nothing (a full disk;
  // "" = none).
  std::string disk_full_suffix;
  uint64_t disk_full_bytes = 0;
  // ETCDPP_POWERLOSS_FAIL_SYNC=<suffix>:<n>: after <n> successful fsync/fdatasync calls on
  // tracked files whose path ends with <suffix>, every later one on such a file fails with EIO
  // and syncs nothing (a disk that fails; "" = none).
  std::string fail_sync_suffix;
  uint64_t fail_sync_after = 0;
};

// The configuration, or nullptr when the shim passes everything through (not configured, or a
// Section is held on this thread).
const Config* Active();

// Holds the shim's mutex for its scope.
class Section {
 public:
  Section();
  ~Section();
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;
};

// --- descriptors ---------------------------------------------------------------------------
enum FdFlags : uint8_t {
  kTracked = 1,  // a regular file or directory at or under the root
  kDir = 2,
  kSyncWrites = 4,  // opened with O_DSYNC or O_SYNC
  kAppend = 8,      // O_APPEND
};
inline constexpr int kMaxFds = 1 << 16;

uint8_t FdFlagsOf(int fd);  // 0 for untracked descriptors; lock-free
inline bool IsTracked(int fd) { return (FdFlagsOf(fd) & kTracked) != 0; }
// The following need a Section.
void TrackFd(int fd, uint8_t flags, const struct stat& st);
void UntrackFd(int fd);  // also closes its companion read descriptor
void CopyFd(int from, int to);
void SetAppend(int fd, bool append);
uint64_t FdDev(int fd);
uint64_t FdIno(int fd);
// Reads n bytes at offset of the file behind fd (reopening it read-only if fd is write-only);
// returns how many were read.
size_t ReadOld(int fd, char* out, size_t n, uint64_t offset);

// --- paths -----------------------------------------------------------------------------------
// The absolute, lexically normalized form of `path` relative to dirfd (AT_FDCWD: the cwd).
// False when it cannot tell; cheap (no allocation) for absolute paths outside the root.
bool Resolve(const Config& c, int dirfd, const char* path, std::string* abs);
bool UnderRoot(const Config& c, const std::string& abs);  // strictly below the root
bool AtOrUnderRoot(const Config& c, const std::string& abs);
std::string FdPath(int fd);  // from /proc/self/fd; "" if unknown

// --- journal (need a Section) ------------------------------------------------------------------
void Append(const Config& c, RecordBuilder& record);
// Appends an intent record and returns its offset, for a kFailed that may follow.
uint64_t AppendIntent(const Config& c, RecordBuilder& record);
void AppendFailed(const Config& c, uint64_t intent_offset);
uint64_t JournalSize(const Config& c);
// Links `path` into the trash; returns the trash path, or "" if the link failed.
std::string LinkToTrash(const Config& c, const std::string& path);
// A kChange record: inode (dev, ino) of size old_size, read through fd, is about to change from
// `offset` over `region` bytes (a write of `length` bytes when is_write).
struct ChangeSpec {
  uint64_t dev, ino, old_size, offset, length, region;
  bool is_write;
};
void AppendChange(const Config& c, int fd, const ChangeSpec& change);
uint32_t Pid();

void Warn(const char* what, const std::string& detail);

}  // namespace etcdpp::powerloss
