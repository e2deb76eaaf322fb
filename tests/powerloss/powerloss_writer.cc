// powerloss_writer ROOT: a scripted sequence of file operations under ROOT, each of a kind a
// power loss treats differently, then SIGKILL on itself. Run by powerloss_test under
// libetcdpp_powerloss.so; the test knows, for each step, what must survive recovery (the
// comment at each step). Plain libc calls, as a server would make them.
//
// Before it starts, ROOT holds (made by the test, so durable): existing = "OLD-EXISTING",
// target = "TARGET-OLD", victim = "VICTIM", gone = "GONE", keep-trunc = "KEEPME", and an empty
// directory emptydir/.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string root;

std::string P(const char* name) { return root + "/" + name; }

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "powerloss_writer: %s: %s\n", what, std::strerror(errno));
  std::exit(3);
}

int Open(const char* name, int flags) {
  int fd = open(P(name).c_str(), flags | O_CLOEXEC, 0644);
  Check(fd >= 0, name);
  return fd;
}

void Put(int fd, const char* s) { Check(write(fd, s, strlen(s)) == ssize_t(strlen(s)), "write"); }
void PutAt(int fd, const char* s, off_t off) {
  Check(pwrite(fd, s, strlen(s), off) == ssize_t(strlen(s)), "pwrite");
}
void SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  Check(fd >= 0 && fsync(fd) == 0 && close(fd) == 0, "sync dir");
}
// A new file holding `s`, synced, its directory entry synced.
int NewSynced(const char* name, const char* s) {
  int fd = Open(name, O_CREAT | O_EXCL | O_RDWR);
  Put(fd, s);
  Check(fdatasync(fd) == 0, "fdatasync");
  SyncDir(root);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  root = argv[1];

  // Phase 1: files whose names and first contents are made durable (each NewSynced syncs ROOT).
  int a = NewSynced("a", "hello ");
  int b = NewSynced("b", "0123456789");
  int t = NewSynced("t", "truncate-me");
  int f = NewSynced("f", "abc");
  int s = NewSynced("seq", "AAAA");
  int du = NewSynced("dup", "dup-synced");
  close(NewSynced("r1.tmp", "r1data"));
  close(NewSynced("n.tmp", "NEW"));
  int d = Open("dsync", O_CREAT | O_WRONLY | O_DSYNC);
  int ap = Open("app", O_CREAT | O_WRONLY | O_APPEND);
  int v = Open("vec", O_CREAT | O_RDWR);
  int pre = NewSynced("pre", "");
  Check(posix_fallocate(pre, 0, 4096) == 0 && fsync(pre) == 0, "preallocate pre");
  Check(mkdirat(AT_FDCWD, P("keptdir").c_str(), 0755) == 0, "mkdir keptdir");
  // r2 = "r2data", no r2.tmp: a rename with a directory sync.
  close(NewSynced("r2.tmp", "r2data"));
  Check(rename(P("r2.tmp").c_str(), P("r2").c_str()) == 0, "rename r2");
  // gone: unlinked, then the directory synced.
  Check(unlinkat(AT_FDCWD, P("gone").c_str(), 0) == 0, "unlinkat gone");
  SyncDir(root);

  // Phase 2: ROOT is never synced again. The expected image after recovery is in comments.
  Put(a, "world");       // a = "hello "
  Put(d, "dsync-data");  // dsync = "dsync-data": O_DSYNC is durable
  int e = Open("existing", O_RDWR);
  PutAt(e, "XXX", 0);  // existing = "OLD-EXISTING"
  PutAt(b, "ab", 2);
  Check(fsync(b) == 0, "fsync b");
  PutAt(b, "zz", 5);  // b = "01ab456789"
  Check(ftruncate(t, 3) == 0, "ftruncate");
  Check(ftruncate(t, 100) == 0, "ftruncate up");  // t = "truncate-me"
  Check(fallocate(f, 0, 0, 8192) == 0, "fallocate");
  Check(posix_fallocate(f, 0, 16384) == 0, "posix_fallocate");  // f = "abc"
  Check(lseek(s, 0, SEEK_SET) == 0, "lseek");
  Put(s, "BB");  // seq = "AAAA"
  Put(ap, "one");
  Check(fsync(ap) == 0, "fsync app");
  Put(ap, "two");  // app = "one"
  struct iovec io[2] = {{const_cast<char*>("ab"), 2}, {const_cast<char*>("cd"), 2}};
  Check(writev(v, io, 2) == 4, "writev");
  Check(fdatasync(v) == 0, "fdatasync vec");
  struct iovec xy[1] = {{const_cast<char*>("XY"), 2}};
  Check(pwritev(v, xy, 1, 1) == 2, "pwritev");  // vec = "abcd"
  PutAt(pre, "data", 100);                      // pre = 4096 zero bytes (old bytes: zeroes)
  int kt = Open("keep-trunc", O_WRONLY | O_TRUNC);
  Put(kt, "new");  // keep-trunc = "KEEPME"
  int du2 = dup(du);
  Put(du2, "+unsynced");  // dup = "dup-synced"
  int n = Open("nodirsync", O_CREAT | O_RDWR);
  Put(n, "lost");
  Check(fsync(n) == 0, "fsync nodirsync");  // nodirsync: absent (entry never synced)
  Check(rename(P("r1.tmp").c_str(), P("r1").c_str()) == 0, "rename r1");  // r1.tmp, no r1
  Check(renameat(AT_FDCWD, P("n.tmp").c_str(), AT_FDCWD, P("target").c_str()) == 0,
        "renameat");                                         // target = "TARGET-OLD", n.tmp = "NEW"
  Check(unlink(P("victim").c_str()) == 0, "unlink victim");  // victim = "VICTIM"
  Check(mkdir(P("newdir").c_str(), 0755) == 0, "mkdir newdir");
  int inner = Open("newdir/inner", O_CREAT | O_RDWR);
  Put(inner, "x");
  Check(fsync(inner) == 0, "fsync inner");
  SyncDir(P("newdir"));                               // newdir/: absent, ROOT was not synced
  Check(rmdir(P("emptydir").c_str()) == 0, "rmdir");  // emptydir/: back

  std::printf("done\n");
  std::fflush(stdout);
  raise(SIGKILL);
  return 1;
}
