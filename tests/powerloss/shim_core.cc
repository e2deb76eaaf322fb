// See shim_core.h.
#undef _FORTIFY_SOURCE

#include "shim_core.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>

namespace etcdpp::powerloss {
namespace {

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_once_t g_once = PTHREAD_ONCE_INIT;
Config* g_config = nullptr;  // set once by Init; never freed (threads may run past exit)
__thread bool t_busy __attribute__((tls_model("initial-exec"))) = false;
uint64_t g_trash_counter = 0;  // guarded by g_mu

struct FdFile {
  uint64_t dev = 0, ino = 0;
  int read_fd = -1;  // a read-only reopening, for old bytes behind a write-only fd
};
std::atomic<uint8_t> g_fd_flags[kMaxFds];
FdFile g_fd_files[kMaxFds];  // guarded by g_mu

template <typename Fn>
Fn Resolved(const char* name, std::atomic<void*>* cache) {
  return reinterpret_cast<Fn>(RealByName(name, cache));
}

// Lexically removes ".", "..", and repeated '/' from an absolute path.
std::string Normalize(const std::string& path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string_view part(path.data() + i, j - i);
    if (part == "..") {
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
    } else if (!part.empty() && part != ".") {
      out.push_back('/');
      out.append(part);
    }
    i = j + 1;
  }
  return out.empty() ? "/" : out;
}

// realpath of the deepest existing ancestor, with the missing components after it.
std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return Normalize(buf);
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || path == "/") return path;
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  return Normalize(Canonical(parent) + path.substr(slash));
}

std::atomic<uint32_t> g_pid{0};

void Prepare() { pthread_mutex_lock(&g_mu); }
void Release() { pthread_mutex_unlock(&g_mu); }
void ReleaseInChild() {
  g_pid.store(static_cast<uint32_t>(getpid()));
  pthread_mutex_unlock(&g_mu);
}

void Fatal(const char* what, const std::string& detail) {
  Warn(what, detail);
  abort();
}

void Init() {
  const char* root = getenv("ETCDPP_POWERLOSS_ROOT");
  const char* journal = getenv("ETCDPP_POWERLOSS_JOURNAL");
  if (root == nullptr || journal == nullptr || *root == '\0' || *journal == '\0') return;
  if (root[0] != '/' || journal[0] != '/') {
    Fatal("ETCDPP_POWERLOSS_ROOT and ETCDPP_POWERLOSS_JOURNAL must be absolute", root);
  }
  auto* c = new Config;
  c->root = Canonical(root);
  c->journal = Canonical(journal);
  if (AtOrUnderRoot(*c, c->journal)) Fatal("the journal must live outside the root", c->journal);
  c->trash = c->journal + ".trash";
  if (const char* fail = getenv("ETCDPP_POWERLOSS_FAIL_RENAME_TO"); fail != nullptr) {
    c->fail_rename_to = fail;
  }
  if (const char* delay = getenv("ETCDPP_POWERLOSS_DELAY_SYNC"); delay != nullptr) {
    std::string d = delay;
    size_t colon = d.rfind(':');
    if (colon == std::string::npos) Fatal("ETCDPP_POWERLOSS_DELAY_SYNC is <suffix>:<ms>", d);
    c->delay_sync_suffix = d.substr(0, colon);
    c->delay_sync_ms = static_cast<unsigned>(strtoul(d.c_str() + colon + 1, nullptr, 10));
  }
  if (const char* full = getenv("ETCDPP_POWERLOSS_DISK_FULL"); full != nullptr) {
    std::string f = full;
    size_t colon = f.rfind(':');
    if (colon == std::string::npos) Fatal("ETCDPP_POWERLOSS_DISK_FULL is <suffix>:<bytes>", f);
    c->disk_full_suffix = f.substr(0, colon);
    c->disk_full_bytes = strtoull(f.c_str() + colon + 1, nullptr, 10);
  }
  if (const char* fail = getenv("ETCDPP_POWERLOSS_FAIL_SYNC"); fail != nullptr) {
    std::string f = fail;
    size_t colon = f.rfind(':');
    if (colon == std::string::npos) Fatal("ETCDPP_POWERLOSS_FAIL_SYNC is <suffix>:<n>", f);
    c->fail_sync_suffix = f.substr(0, colon);
    c->fail_sync_after = strtoull(f.c_str() + colon + 1, nullptr, 10);
  }
  c->journal_fd = RealOpen()(c->journal.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (c->journal_fd < 0) Fatal("cannot open the journal", c->journal);
  if (RealMkdir()(c->trash.c_str(), 0755) != 0 && errno != EEXIST) {
    Fatal("cannot create the trash directory", c->trash);
  }
  g_pid.store(static_cast<uint32_t>(getpid()));
  pthread_atfork(Prepare, Release, ReleaseInChild);
  g_config = c;
}

__attribute__((constructor)) void InitAtLoad() { pthread_once(&g_once, Init); }

}  // namespace

void* RealByName(const char* name, std::atomic<void*>* cache) {
  void* f = cache->load(std::memory_order_acquire);
  if (f == nullptr) {
    f = dlsym(RTLD_NEXT, name);
    cache->store(f, std::memory_order_release);
  }
  return f;
}

OpenFn RealOpen() {
  static std::atomic<void*> cache{nullptr};
  return Resolved<OpenFn>("open", &cache);
}
CloseFn RealClose() {
  static std::atomic<void*> cache{nullptr};
  return Resolved<CloseFn>("close", &cache);
}
WriteFn RealWrite() {
  static std::atomic<void*> cache{nullptr};
  return Resolved<WriteFn>("write", &cache);
}
LinkFn RealLink() {
  static std::atomic<void*> cache{nullptr};
  return Resolved<LinkFn>("link", &cache);
}
MkdirFn RealMkdir() {
  static std::atomic<void*> cache{nullptr};
  return Resolved<MkdirFn>("mkdir", &cache);
}

const Config* Active() {
  if (t_busy) return nullptr;
  pthread_once(&g_once, Init);
  return g_config;
}

Section::Section() {
  t_busy = true;
  pthread_mutex_lock(&g_mu);
}

Section::~Section() {
  pthread_mutex_unlock(&g_mu);
  t_busy = false;
}

uint8_t FdFlagsOf(int fd) {
  if (fd < 0 || fd >= kMaxFds) return 0;
  return g_fd_flags[fd].load(std::memory_order_acquire);
}

void TrackFd(int fd, uint8_t flags, const struct stat& st) {
  if (fd < 0 || fd >= kMaxFds) {
    Warn("descriptor number too large to track", std::to_string(fd));
    return;
  }
  // A still-tracked entry means the descriptor was closed behind the shim (close_range, a libc
  // internal close): its companion read descriptor may be closed too, so it is left alone.
  g_fd_files[fd] = FdFile{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), -1};
  g_fd_flags[fd].store(flags, std::memory_order_release);
}

void UntrackFd(int fd) {
  if (fd < 0 || fd >= kMaxFds) return;
  g_fd_flags[fd].store(0, std::memory_order_release);
  if (g_fd_files[fd].read_fd >= 0) RealClose()(g_fd_files[fd].read_fd);
  g_fd_files[fd] = FdFile{};
}

void CopyFd(int from, int to) {
  if (from == to || to < 0 || to >= kMaxFds) return;
  UntrackFd(to);
  if (!IsTracked(from)) return;
  g_fd_files[to] = FdFile{g_fd_files[from].dev, g_fd_files[from].ino, -1};
  g_fd_flags[to].store(FdFlagsOf(from), std::memory_order_release);
}

void SetAppend(int fd, bool append) {
  uint8_t f = FdFlagsOf(fd);
  if (f == 0) return;
  g_fd_flags[fd].store(append ? (f | kAppend) : (f & ~kAppend), std::memory_order_release);
}

uint64_t FdDev(int fd) { return g_fd_files[fd].dev; }
uint64_t FdIno(int fd) { return g_fd_files[fd].ino; }

namespace {

size_t PreadAll(int fd, char* out, size_t n, uint64_t offset) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

}  // namespace

size_t ReadOld(int fd, char* out, size_t n, uint64_t offset) {
  if (n == 0) return 0;
  errno = 0;
  size_t got = PreadAll(fd, out, n, offset);
  if (got > 0 || errno != EBADF || fd < 0 || fd >= kMaxFds) return got;
  FdFile& f = g_fd_files[fd];
  if (f.read_fd < 0) {
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    f.read_fd = RealOpen()(self.c_str(), O_RDONLY | O_CLOEXEC);
  }
  return f.read_fd < 0 ? 0 : PreadAll(f.read_fd, out, n, offset);
}

bool Resolve(const Config& c, int dirfd, const char* path, std::string* abs) {
  if (path == nullptr || *path == '\0') return false;
  if (path[0] == '/') {
    // Fast path: an absolute path that does not start with the root and has no ".." in it.
    if (strncmp(path, c.root.c_str(), c.root.size()) != 0 && strstr(path, "..") == nullptr) {
      return false;
    }
    *abs = Normalize(path);
    return true;
  }
  std::string base;
  if (dirfd == AT_FDCWD) {
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof buf) == nullptr) return false;
    base = buf;
  } else {
    base = FdPath(dirfd);
    if (base.empty()) return false;
  }
  *abs = Normalize(base + "/" + path);
  return true;
}

bool UnderRoot(const Config& c, const std::string& abs) {
  return abs.size() > c.root.size() && abs.compare(0, c.root.size(), c.root) == 0 &&
         (abs[c.root.size()] == '/' || c.root == "/");
}

bool AtOrUnderRoot(const Config& c, const std::string& abs) {
  return abs == c.root || UnderRoot(c, abs);
}

std::string FdPath(int fd) {
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  char buf[PATH_MAX];
  ssize_t n = readlink(self.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

void Append(const Config& c, RecordBuilder& record) {
  const std::string& bytes = record.Finish();
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = RealWrite()(c.journal_fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Fatal("cannot write the journal", c.journal);
    done += static_cast<size_t>(n);
  }
}

uint64_t AppendIntent(const Config& c, RecordBuilder& record) {
  Append(c, record);
  // After an O_APPEND write the offset is the end of what this write put there.
  off_t end = lseek(c.journal_fd, 0, SEEK_CUR);
  return static_cast<uint64_t>(end) - record.Finish().size();
}

void AppendFailed(const Config& c, uint64_t intent_offset) {
  RecordBuilder r(RecordType::kFailed, Pid());
  r.U64(intent_offset);
  Append(c, r);
}

uint64_t JournalSize(const Config& c) {
  struct stat st;
  if (fstat(c.journal_fd, &st) != 0) Fatal("cannot stat the journal", c.journal);
  return static_cast<uint64_t>(st.st_size);
}

std::string LinkToTrash(const Config& c, const std::string& path) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string name =
        c.trash + "/" + std::to_string(Pid()) + "-" + std::to_string(g_trash_counter++);
    if (RealLink()(path.c_str(), name.c_str()) == 0) return name;
    if (errno != EEXIST) break;
  }
  Warn("cannot link into the trash (is the journal on the root's filesystem?)", path);
  return "";
}

void AppendChange(const Config& c, int fd, const ChangeSpec& ch) {
  RecordBuilder r(RecordType::kChange, Pid());
  r.U64(ch.dev).U64(ch.ino).U64(ch.offset).U64(ch.length).U64(ch.old_size).U8(ch.is_write);
  uint64_t below = ch.offset < ch.old_size ? ch.old_size - ch.offset : 0;
  size_t want = static_cast<size_t>(ch.region < below ? ch.region : below);
  std::string old(want, '\0');
  old.resize(ReadOld(fd, old.data(), want, ch.offset));
  r.U64(old.size());
  // Preallocated files (a WAL segment) are mostly overwritten zeroes: journal just their count.
  bool zeros = old.find_first_not_of('\0') == std::string::npos;
  r.Str(zeros ? std::string_view() : std::string_view(old));
  Append(c, r);
}

uint32_t Pid() { return g_pid.load(std::memory_order_relaxed); }

void Warn(const char* what, const std::string& detail) {
  dprintf(2, "etcdpp_powerloss: %s: %s\n", what, detail.c_str());
}

}  // namespace etcdpp::powerloss
