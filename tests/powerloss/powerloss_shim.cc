// libetcdpp_powerloss.so: an LD_PRELOAD shim that journals, for files under a root directory,
// everything a power loss could undo, so that etcdpp-powerloss-recover can later make the files
// look as if the machine had lost power when the process died (see powerloss_journal.h for the
// journal and what each record means, and powerloss_recover.cc for recovery).
//
//   LD_PRELOAD=libetcdpp_powerloss.so ETCDPP_POWERLOSS_ROOT=/abs/dir
//   ETCDPP_POWERLOSS_JOURNAL=/abs/journal <program>
//
// Without both variables the shim only forwards calls. Only paths at or under the root are
// tracked, by their lexical absolute form (relative paths resolve against the cwd or dirfd);
// a path reaching the root through a symlink is not seen as under it.
//
// Interposed: open/open64/openat/openat64/creat/creat64 (and the _2 fortify entry points),
// close, dup/dup2/dup3, fcntl/fcntl64 (F_DUPFD*, F_SETFL's O_APPEND), write/pwrite/pwrite64/
// writev/pwritev/pwritev64/pwritev2/pwritev64v2, ftruncate/ftruncate64/truncate/truncate64,
// fallocate/fallocate64/posix_fallocate/posix_fallocate64, fsync/fdatasync/syncfs/sync,
// rename/renameat/renameat2, unlink/unlinkat/remove/rmdir, mkdir/mkdirat, link/linkat.
// A write through a descriptor opened with O_DSYNC/O_SYNC (or pwritev2 with RWF_DSYNC/RWF_SYNC)
// counts as a sync of its whole file once it returns (Linux promises only the written range;
// LMDB, the user this matters for, fdatasyncs its data before such a write anyway).
//
// Not seen, so never undone: writes through shared writable mmaps (msync is not interposed;
// LMDB writes its data file with pwrite and only its lock file through a mapping), stdio writes
// (fwrite reaches write() inside glibc, past the interposer), copy_file_range/sendfile/splice,
// O_TMPFILE files, renameat2(RENAME_EXCHANGE), and calls made by a vfork()ed child.
// sync_file_range is not a sync and is not interposed.
//
// Fault injection: with ETCDPP_POWERLOSS_FAIL_RENAME_TO=<suffix>, every rename whose target
// under the root ends with <suffix> fails with EIO and changes nothing (e.g. "/member/snap/db":
// a follower's install of a received snapshot database fails). With
// ETCDPP_POWERLOSS_DELAY_SYNC=<suffix>:<ms>, fsync and fdatasync of a tracked file whose path
// ends with <suffix> sleep <ms> milliseconds before the real call (a slow disk). With
// ETCDPP_POWERLOSS_DISK_FULL=<suffix>:<bytes>, a write to a tracked file whose path ends with
// <suffix> that would reach past <bytes> fails with ENOSPC and writes nothing (a full disk;
// only writes are refused, not ftruncate/fallocate growth). With
// ETCDPP_POWERLOSS_FAIL_SYNC=<suffix>:<n>, after <n> successful fsync/fdatasync calls on
// tracked files whose path ends with <suffix>, every later one fails with EIO (a failing disk).
//
// Ordering (the process may be SIGKILLed at any instruction): undo information is journaled
// before the real write; a sync after the real sync returned; directory changes as intents
// before the real call (with the file they remove or replace linked into the trash first).

#undef _FORTIFY_SOURCE

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "shim_core.h"

using namespace etcdpp::powerloss;  // NOLINT: one translation unit of extern "C" entry points

extern "C" {
int __open_2(const char*, int);
int __open64_2(const char*, int);
int __openat_2(int, const char*, int);
int __openat64_2(int, const char*, int);
int fcntl64(int, int, ...);
}

// Every interposed function. Their real definitions are all resolved when the library loads,
// so no dlsym (which takes the dynamic loader's lock) ever runs while the shim's mutex is held.
// clang-format off
#define SHIM_FUNCTIONS(X) \
  X(open) \
  X(open64) \
  X(openat) \
  X(openat64) \
  X(__open_2) \
  X(__open64_2) \
  X(__openat_2) \
  X(__openat64_2) \
  X(creat) \
  X(creat64) \
  X(close) \
  X(dup) \
  X(dup2) \
  X(dup3) \
  X(fcntl) \
  X(fcntl64) \
  X(write) \
  X(pwrite) \
  X(pwrite64) \
  X(writev) \
  X(pwritev) \
  X(pwritev64) \
  X(pwritev2) \
  X(pwritev64v2) \
  X(ftruncate) \
  X(ftruncate64) \
  X(truncate) \
  X(truncate64) \
  X(fallocate) \
  X(fallocate64) \
  X(posix_fallocate) \
  X(posix_fallocate64) \
  X(fsync) \
  X(fdatasync) \
  X(syncfs) \
  X(sync) \
  X(rename) \
  X(renameat) \
  X(renameat2) \
  X(unlink) \
  X(unlinkat) \
  X(remove) \
  X(rmdir) \
  X(mkdir) \
  X(mkdirat) \
  X(link) \
  X(linkat)
// clang-format on

namespace {
#define SHIM_CACHE(fn) std::atomic<void*> g_real_##fn{nullptr};
SHIM_FUNCTIONS(SHIM_CACHE)
#undef SHIM_CACHE

__attribute__((constructor)) void ResolveAll() {
#define SHIM_RESOLVE(fn) RealByName(#fn, &g_real_##fn);
  SHIM_FUNCTIONS(SHIM_RESOLVE)
#undef SHIM_RESOLVE
  RealOpen();
  RealClose();
  RealWrite();
  RealLink();
  RealMkdir();
}
}  // namespace

// The next definition of `fn` (libc's).
#define REAL(fn) reinterpret_cast<decltype(&::fn)>(RealByName(#fn, &g_real_##fn))

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// Keeps errno as the real call left it, whatever the journaling after it does.
class SavedErrno {
 public:
  SavedErrno() : errno_(errno) {}
  ~SavedErrno() { errno = errno_; }

 private:
  int errno_;
};

bool NeedsMode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

// kOpen and kChange (all old contents) for an existing file about to be truncated by open().
void JournalOpenTruncation(const Config& c, const std::string& abs, const struct stat& st) {
  RecordBuilder open(RecordType::kOpen, Pid());
  open.U64(st.st_dev).U64(st.st_ino).U8(0).Str(abs);
  Append(c, open);
  int fd = RealOpen()(abs.c_str(), O_RDONLY | O_CLOEXEC);
  ChangeSpec ch{static_cast<uint64_t>(st.st_dev),
                static_cast<uint64_t>(st.st_ino),
                static_cast<uint64_t>(st.st_size),
                0,
                0,
                static_cast<uint64_t>(st.st_size),
                false};
  AppendChange(c, fd, ch);
  if (fd >= 0) RealClose()(fd);
}

void TrackOpened(const Config& c, int fd, int flags, const std::string& abs, bool created) {
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) return TrackFd(fd, kTracked | kDir, st);
  if (!S_ISREG(st.st_mode)) return;
  uint8_t f = kTracked;
  if (flags & O_DSYNC) f |= kSyncWrites;  // O_SYNC includes O_DSYNC
  if (flags & O_APPEND) f |= kAppend;
  TrackFd(fd, f, st);
  if ((flags & O_ACCMODE) == O_RDONLY && !created && !(flags & O_TRUNC)) return;
  RecordBuilder r(RecordType::kOpen, Pid());
  r.U64(st.st_dev).U64(st.st_ino).U8(created ? 1 : 0).Str(abs);
  Append(c, r);
}

template <typename Real>
int DoOpen(int dirfd, const char* path, int flags, Real real) {
  const Config* c = Active();
  std::string abs;
  if (c == nullptr || (flags & O_PATH) || (flags & O_TMPFILE) == O_TMPFILE ||
      !Resolve(*c, dirfd, path, &abs) || !AtOrUnderRoot(*c, abs)) {
    return real();
  }
  struct stat before;
  bool existed = stat(abs.c_str(), &before) == 0;
  // FIFOs and devices are not tracked, and opening one may block: never under the mutex.
  if (existed && !S_ISREG(before.st_mode) && !S_ISDIR(before.st_mode)) return real();
  Section s;
  bool creating = !existed && (flags & O_CREAT);
  uint64_t intent = 0;
  if (creating) {
    RecordBuilder r(RecordType::kCreateIntent, Pid());
    r.Str(abs);
    intent = AppendIntent(*c, r);
  }
  if (existed && S_ISREG(before.st_mode) && (flags & O_TRUNC) && before.st_size > 0 &&
      (flags & O_ACCMODE) != O_RDONLY) {
    JournalOpenTruncation(*c, abs, before);
  }
  int fd = real();
  SavedErrno keep;
  if (fd < 0 && creating) AppendFailed(*c, intent);
  if (fd >= 0) TrackOpened(*c, fd, flags, abs, creating);
  return fd;
}

mode_t ModeArg(va_list ap) { return static_cast<mode_t>(va_arg(ap, unsigned int)); }

// Writes of `len` bytes at `offset` (-1: the descriptor's position); `sync`/`append` force the
// behaviour of RWF_DSYNC/RWF_APPEND.
template <typename Real>
ssize_t DoWrite(int fd, uint64_t len, off_t offset, bool sync, bool append, Real real) {
  const Config* c = Active();
  if (c == nullptr || len == 0 || !IsTracked(fd) || (FdFlagsOf(fd) & kDir)) return real();
  Section s;
  struct stat st;
  uint8_t flags = FdFlagsOf(fd);
  if (fstat(fd, &st) != 0) return real();
  uint64_t at = static_cast<uint64_t>(offset);
  if ((flags & kAppend) || append) {
    at = static_cast<uint64_t>(st.st_size);
  } else if (offset < 0) {
    off_t cur = lseek(fd, 0, SEEK_CUR);
    if (cur < 0) return real();
    at = static_cast<uint64_t>(cur);
  }
  if (!c->disk_full_suffix.empty() && at + len > c->disk_full_bytes) {
    char link[64], path[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    const std::string& suffix = c->disk_full_suffix;
    if (n >= static_cast<ssize_t>(suffix.size()) &&
        std::string(path + n - suffix.size(), suffix.size()) == suffix) {
      errno = ENOSPC;  // the full disk: nothing is written
      return -1;
    }
  }
  AppendChange(
      *c, fd,
      ChangeSpec{FdDev(fd), FdIno(fd), static_cast<uint64_t>(st.st_size), at, len, len, true});
  ssize_t n = real();
  SavedErrno keep;
  if (n > 0 && ((flags & kSyncWrites) || sync)) {
    RecordBuilder r(RecordType::kSync, Pid());
    r.U64(FdDev(fd)).U64(FdIno(fd)).U64(JournalSize(*c));
    Append(*c, r);
  }
  return n;
}

uint64_t IovLen(const struct iovec* iov, int n) {
  uint64_t total = 0;
  for (int i = 0; i < n; ++i) total += iov[i].iov_len;
  return total;
}

// A change of size or of a region other than a write (truncate, fallocate); `region_end` is
// where the bytes that change end (for growth: the old size, nothing to keep).
template <typename Real>
auto DoResize(int fd, uint64_t from, uint64_t region_end, Real real) -> decltype(real()) {
  const Config* c = Active();
  if (c == nullptr || !IsTracked(fd) || (FdFlagsOf(fd) & kDir)) return real();
  Section s;
  struct stat st;
  if (fstat(fd, &st) != 0) return real();
  uint64_t old_size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = from < old_size ? from : old_size;
  uint64_t end = region_end == UINT64_MAX ? old_size : region_end;
  AppendChange(*c, fd,
               ChangeSpec{FdDev(fd), FdIno(fd), old_size, offset, 0,
                          end > offset ? end - offset : 0, false});
  return real();
}

// truncate(path): the file may never have been opened, so kOpen first.
template <typename Real>
int DoTruncatePath(const char* path, off_t length, Real real) {
  const Config* c = Active();
  std::string abs;
  if (c == nullptr || !Resolve(*c, AT_FDCWD, path, &abs) || !UnderRoot(*c, abs)) return real();
  Section s;
  struct stat st;
  if (stat(abs.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return real();
  RecordBuilder open(RecordType::kOpen, Pid());
  open.U64(st.st_dev).U64(st.st_ino).U8(0).Str(abs);
  Append(*c, open);
  int fd = RealOpen()(abs.c_str(), O_RDONLY | O_CLOEXEC);
  uint64_t old_size = static_cast<uint64_t>(st.st_size);
  uint64_t from =
      static_cast<uint64_t>(length) < old_size ? static_cast<uint64_t>(length) : old_size;
  AppendChange(*c, fd,
               ChangeSpec{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                          old_size, from, 0, old_size - from, false});
  if (fd >= 0) RealClose()(fd);
  return real();
}

// The region fallocate(mode, offset, len) changes: [from, end) with end UINT64_MAX = old size.
void FallocateRegion(int mode, off_t offset, off_t len, uint64_t* from, uint64_t* end) {
  uint64_t off = static_cast<uint64_t>(offset);
  if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) {
    *from = off;
    *end = UINT64_MAX;  // everything after shifts
  } else if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
    *from = off;
    *end = off + static_cast<uint64_t>(len);
  } else {
    *from = UINT64_MAX;  // plain allocation: only the size may grow
    *end = 0;
  }
}

template <typename Real>
int DoFallocate(int fd, int mode, off_t offset, off_t len, Real real) {
  uint64_t from, end;
  FallocateRegion(mode, offset, len, &from, &end);
  return DoResize(fd, from, end, real);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), std::string::npos, suffix) == 0;
}

// Syncs of files matching ETCDPP_POWERLOSS_FAIL_SYNC so far (process-wide).
std::atomic<uint64_t> matching_syncs{0};

template <typename Real>
int DoSync(int fd, Real real) {
  const Config* c = Active();
  if (c == nullptr || !IsTracked(fd)) return real();
  if (c->delay_sync_ms > 0 && EndsWith(FdPath(fd), c->delay_sync_suffix)) {
    usleep(c->delay_sync_ms * 1000);  // the slow disk, before the real sync
  }
  if (!c->fail_sync_suffix.empty() && EndsWith(FdPath(fd), c->fail_sync_suffix) &&
      matching_syncs.fetch_add(1) >= c->fail_sync_after) {
    errno = EIO;  // the failing disk: nothing is synced, so a power loss still undoes it all
    return -1;
  }
  uint64_t covers, dev, ino;
  std::string dir;
  bool is_dir = FdFlagsOf(fd) & kDir;
  {
    Section s;
    covers = JournalSize(*c);
    dev = FdDev(fd);
    ino = FdIno(fd);
    if (is_dir) dir = FdPath(fd);
  }
  int rc = real();
  SavedErrno keep;
  if (rc != 0) return rc;
  Section s;
  if (is_dir && AtOrUnderRoot(*c, dir)) {
    RecordBuilder r(RecordType::kDirSync, Pid());
    r.U64(covers).Str(dir);
    Append(*c, r);
  } else if (!is_dir) {
    RecordBuilder r(RecordType::kSync, Pid());
    r.U64(dev).U64(ino).U64(covers);
    Append(*c, r);
  }
  return rc;
}

template <typename Real>
auto DoSyncAll(Real real) -> decltype(real()) {
  const Config* c = Active();
  if (c == nullptr) return real();
  uint64_t covers;
  {
    Section s;
    covers = JournalSize(*c);
  }
  auto rc = real();
  SavedErrno keep;
  Section s;
  RecordBuilder r(RecordType::kSyncAll, Pid());
  r.U64(covers);
  Append(*c, r);
  return rc;
}

// An intent, the real call, and kFailed if it failed. Needs a Section.
template <typename Real>
int Intent(const Config& c, RecordBuilder& record, Real real) {
  uint64_t at = AppendIntent(c, record);
  int rc = real();
  SavedErrno keep;
  if (rc != 0) AppendFailed(c, at);
  return rc;
}

// Removal of `abs` (unlink, or a rename out of the root). Needs a Section.
template <typename Real>
int Removal(const Config& c, const std::string& abs, const struct stat& st, Real real) {
  std::string trash = LinkToTrash(c, abs);
  RecordBuilder r(RecordType::kUnlink, Pid());
  r.U64(st.st_dev).U64(st.st_ino).Str(abs).Str(trash);
  return Intent(c, r, real);
}

template <typename Real>
int DoUnlink(int dirfd, const char* path, Real real) {
  const Config* c = Active();
  std::string abs;
  if (c == nullptr || !Resolve(*c, dirfd, path, &abs) || !UnderRoot(*c, abs)) return real();
  Section s;
  struct stat st;
  if (lstat(abs.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return real();
  return Removal(*c, abs, st, real);
}

template <typename Real>
int DoDirChange(RecordType type, int dirfd, const char* path, Real real) {
  const Config* c = Active();
  std::string abs;
  if (c == nullptr || !Resolve(*c, dirfd, path, &abs) || !UnderRoot(*c, abs)) return real();
  Section s;
  struct stat st;
  bool exists = lstat(abs.c_str(), &st) == 0;
  if (type == RecordType::kMkdir ? exists : !(exists && S_ISDIR(st.st_mode))) return real();
  RecordBuilder r(type, Pid());
  r.Str(abs);
  return Intent(*c, r, real);
}

template <typename Real>
int DoRename(int olddirfd, const char* from, int newdirfd, const char* to, unsigned flags,
             Real real) {
  const Config* c = Active();
  std::string af, at;
  if (c == nullptr) return real();
  bool fu = Resolve(*c, olddirfd, from, &af) && UnderRoot(*c, af);
  bool tu = Resolve(*c, newdirfd, to, &at) && UnderRoot(*c, at);
  if (!fu && !tu) return real();
  if (tu && !c->fail_rename_to.empty() && at.size() >= c->fail_rename_to.size() &&
      at.compare(at.size() - c->fail_rename_to.size(), std::string::npos, c->fail_rename_to) == 0) {
    errno = EIO;  // the injected disk fault: nothing happens
    return -1;
  }
  if (flags & RENAME_EXCHANGE) {
    Warn("renameat2(RENAME_EXCHANGE) is not tracked", af + " <-> " + at);
    return real();
  }
  Section s;
  struct stat sf, st;
  if (lstat(af.c_str(), &sf) != 0) return real();
  bool to_exists = lstat(at.c_str(), &st) == 0;
  if (to_exists && st.st_dev == sf.st_dev && st.st_ino == sf.st_ino) return real();  // no-op
  if (!tu) return Removal(*c, af, sf, real);
  RenameTarget target = RenameTarget::kNothing;
  std::string trash;
  if (to_exists && !(flags & RENAME_NOREPLACE)) {
    target = S_ISDIR(st.st_mode) ? RenameTarget::kEmptyDir : RenameTarget::kLinkedFile;
    if (target == RenameTarget::kLinkedFile) trash = LinkToTrash(*c, at);
  }
  RecordBuilder r(RecordType::kRename, Pid());
  r.U64(sf.st_dev).U64(sf.st_ino);
  r.U8((fu ? kRenameFromUnderRoot : 0) | kRenameToUnderRoot).U8(static_cast<uint8_t>(target));
  r.Str(af).Str(at).Str(trash);
  return Intent(*c, r, real);
}

template <typename Real>
int DoLink(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags,
           Real real) {
  const Config* c = Active();
  std::string ao, an;
  if (c == nullptr || !Resolve(*c, newdirfd, newpath, &an) || !UnderRoot(*c, an)) return real();
  if (!Resolve(*c, olddirfd, oldpath, &ao)) return real();
  Section s;
  struct stat st;
  int rc = (flags & AT_SYMLINK_FOLLOW) ? stat(ao.c_str(), &st) : lstat(ao.c_str(), &st);
  if (rc != 0 || S_ISDIR(st.st_mode)) return real();
  RecordBuilder r(RecordType::kLink, Pid());
  r.U64(st.st_dev).U64(st.st_ino).Str(an);
  return Intent(*c, r, real);
}

// dup family: the new descriptor refers to the same tracked file.
int AfterDup(int from, int to) {
  if (to >= 0 && Active() != nullptr) {
    SavedErrno keep;
    Section s;
    CopyFd(from, to);
  }
  return to;
}

}  // namespace

// --- open ----------------------------------------------------------------------------------------
#define OPEN_BODY(fn, dirfd_expr, ...) \
  mode_t mode = 0;                     \
  if (NeedsMode(flags)) {              \
    va_list ap;                        \
    va_start(ap, flags);               \
    mode = ModeArg(ap);                \
    va_end(ap);                        \
  }                                    \
  return DoOpen(dirfd_expr, path, flags, [&] { return REAL(fn)(__VA_ARGS__, mode); });

EXPORT int open(const char* path, int flags, ...){OPEN_BODY(open, AT_FDCWD, path, flags)} EXPORT
    int open64(const char* path, int flags, ...){OPEN_BODY(open64, AT_FDCWD, path, flags)} EXPORT
    int openat(int dirfd, const char* path, int flags,
               ...){OPEN_BODY(openat, dirfd, dirfd, path, flags)} EXPORT
    int openat64(int dirfd, const char* path, int flags,
                 ...){OPEN_BODY(openat64, dirfd, dirfd, path, flags)} EXPORT
    int __open_2(const char* path, int flags) {
  return DoOpen(AT_FDCWD, path, flags, [&] { return REAL(__open_2)(path, flags); });
}
EXPORT int __open64_2(const char* path, int flags) {
  return DoOpen(AT_FDCWD, path, flags, [&] { return REAL(__open64_2)(path, flags); });
}
EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  return DoOpen(dirfd, path, flags, [&] { return REAL(__openat_2)(dirfd, path, flags); });
}
EXPORT int __openat64_2(int dirfd, const char* path, int flags) {
  return DoOpen(dirfd, path, flags, [&] { return REAL(__openat64_2)(dirfd, path, flags); });
}
EXPORT int creat(const char* path, mode_t mode) {
  int flags = O_CREAT | O_WRONLY | O_TRUNC;
  return DoOpen(AT_FDCWD, path, flags, [&] { return REAL(creat)(path, mode); });
}
EXPORT int creat64(const char* path, mode_t mode) {
  int flags = O_CREAT | O_WRONLY | O_TRUNC;
  return DoOpen(AT_FDCWD, path, flags, [&] { return REAL(creat64)(path, mode); });
}

// --- descriptors ---------------------------------------------------------------------------------
EXPORT int close(int fd) {
  const Config* c = Active();
  if (c != nullptr && fd == c->journal_fd) return 0;  // the journal stays open
  if (c != nullptr && IsTracked(fd)) {
    Section s;
    UntrackFd(fd);
  }
  return REAL(close)(fd);
}
EXPORT int dup(int fd) { return AfterDup(fd, REAL(dup)(fd)); }
EXPORT int dup2(int from, int to) { return AfterDup(from, REAL(dup2)(from, to)); }
EXPORT int dup3(int from, int to, int flags) { return AfterDup(from, REAL(dup3)(from, to, flags)); }

namespace {
template <typename Real>
int DoFcntl(int fd, int cmd, void* arg, Real real) {
  int rc = real(fd, cmd, arg);
  if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) return AfterDup(fd, rc);
  if (rc >= 0 && cmd == F_SETFL && IsTracked(fd) && Active() != nullptr) {
    SavedErrno keep;
    Section s;
    SetAppend(fd, (reinterpret_cast<intptr_t>(arg) & O_APPEND) != 0);
  }
  return rc;
}
}  // namespace

// fcntl's third argument is an int or a pointer; glibc itself reads it as a pointer-sized value.
EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return DoFcntl(fd, cmd, arg, REAL(fcntl));
}
EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return DoFcntl(fd, cmd, arg, REAL(fcntl64));
}

// --- writes --------------------------------------------------------------------------------------
EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  return DoWrite(fd, n, -1, false, false, [&] { return REAL(write)(fd, buf, n); });
}
EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  return DoWrite(fd, n, off, false, false, [&] { return REAL(pwrite)(fd, buf, n, off); });
}
EXPORT ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  return DoWrite(fd, n, off, false, false, [&] { return REAL(pwrite64)(fd, buf, n, off); });
}
EXPORT ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  return DoWrite(fd, IovLen(iov, cnt), -1, false, false,
                 [&] { return REAL(writev)(fd, iov, cnt); });
}
EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  return DoWrite(fd, IovLen(iov, cnt), off, false, false,
                 [&] { return REAL(pwritev)(fd, iov, cnt, off); });
}
EXPORT ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  return DoWrite(fd, IovLen(iov, cnt), off, false, false,
                 [&] { return REAL(pwritev64)(fd, iov, cnt, off); });
}
EXPORT ssize_t pwritev2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  return DoWrite(fd, IovLen(iov, cnt), off, flags & (RWF_DSYNC | RWF_SYNC), flags & RWF_APPEND,
                 [&] { return REAL(pwritev2)(fd, iov, cnt, off, flags); });
}
EXPORT ssize_t pwritev64v2(int fd, const struct iovec* iov, int cnt, off64_t off, int flags) {
  return DoWrite(fd, IovLen(iov, cnt), off, flags & (RWF_DSYNC | RWF_SYNC), flags & RWF_APPEND,
                 [&] { return REAL(pwritev64v2)(fd, iov, cnt, off, flags); });
}

// --- sizes ---------------------------------------------------------------------------------------
EXPORT int ftruncate(int fd, off_t len) {
  return DoResize(fd, static_cast<uint64_t>(len), UINT64_MAX,
                  [&] { return REAL(ftruncate)(fd, len); });
}
EXPORT int ftruncate64(int fd, off64_t len) {
  return DoResize(fd, static_cast<uint64_t>(len), UINT64_MAX,
                  [&] { return REAL(ftruncate64)(fd, len); });
}
EXPORT int truncate(const char* path, off_t len) {
  return DoTruncatePath(path, len, [&] { return REAL(truncate)(path, len); });
}
EXPORT int truncate64(const char* path, off64_t len) {
  return DoTruncatePath(path, len, [&] { return REAL(truncate64)(path, len); });
}
EXPORT int fallocate(int fd, int mode, off_t off, off_t len) {
  return DoFallocate(fd, mode, off, len, [&] { return REAL(fallocate)(fd, mode, off, len); });
}
EXPORT int fallocate64(int fd, int mode, off64_t off, off64_t len) {
  return DoFallocate(fd, mode, off, len, [&] { return REAL(fallocate64)(fd, mode, off, len); });
}
EXPORT int posix_fallocate(int fd, off_t off, off_t len) {
  return DoFallocate(fd, 0, off, len, [&] { return REAL(posix_fallocate)(fd, off, len); });
}
EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len) {
  return DoFallocate(fd, 0, off, len, [&] { return REAL(posix_fallocate64)(fd, off, len); });
}

// --- syncs ---------------------------------------------------------------------------------------
EXPORT int fsync(int fd) {
  return DoSync(fd, [&] { return REAL(fsync)(fd); });
}
EXPORT int fdatasync(int fd) {
  return DoSync(fd, [&] { return REAL(fdatasync)(fd); });
}
EXPORT int syncfs(int fd) {
  return DoSyncAll([&] { return REAL(syncfs)(fd); });
}
EXPORT void sync(void) {
  DoSyncAll([&] {
    REAL(sync)();
    return 0;
  });
}

// --- directory entries ---------------------------------------------------------------------------
EXPORT int rename(const char* from, const char* to) {
  return DoRename(AT_FDCWD, from, AT_FDCWD, to, 0, [&] { return REAL(rename)(from, to); });
}
EXPORT int renameat(int fd1, const char* from, int fd2, const char* to) {
  return DoRename(fd1, from, fd2, to, 0, [&] { return REAL(renameat)(fd1, from, fd2, to); });
}
EXPORT int renameat2(int fd1, const char* from, int fd2, const char* to, unsigned flags) {
  return DoRename(fd1, from, fd2, to, flags,
                  [&] { return REAL(renameat2)(fd1, from, fd2, to, flags); });
}
EXPORT int unlink(const char* path) {
  return DoUnlink(AT_FDCWD, path, [&] { return REAL(unlink)(path); });
}
EXPORT int unlinkat(int dirfd, const char* path, int flags) {
  auto real = [&] { return REAL(unlinkat)(dirfd, path, flags); };
  if (flags & AT_REMOVEDIR) return DoDirChange(RecordType::kRmdir, dirfd, path, real);
  return DoUnlink(dirfd, path, real);
}
EXPORT int remove(const char* path) {
  auto real = [&] { return REAL(remove)(path); };
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    return DoDirChange(RecordType::kRmdir, AT_FDCWD, path, real);
  }
  return DoUnlink(AT_FDCWD, path, real);
}
EXPORT int rmdir(const char* path) {
  return DoDirChange(RecordType::kRmdir, AT_FDCWD, path, [&] { return REAL(rmdir)(path); });
}
EXPORT int mkdir(const char* path, mode_t mode) {
  return DoDirChange(RecordType::kMkdir, AT_FDCWD, path, [&] { return REAL(mkdir)(path, mode); });
}
EXPORT int mkdirat(int dirfd, const char* path, mode_t mode) {
  return DoDirChange(RecordType::kMkdir, dirfd, path,
                     [&] { return REAL(mkdirat)(dirfd, path, mode); });
}
EXPORT int link(const char* from, const char* to) {
  return DoLink(AT_FDCWD, from, AT_FDCWD, to, 0, [&] { return REAL(link)(from, to); });
}
EXPORT int linkat(int fd1, const char* from, int fd2, const char* to, int flags) {
  return DoLink(fd1, from, fd2, to, flags, [&] { return REAL(linkat)(fd1, from, fd2, to, flags); });
}
