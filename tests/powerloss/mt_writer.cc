// mt_writer ROOT: threads doing durable I/O side by side until SIGKILLed, as a server's threads
// would (run by mt_powerloss_test under libetcdpp_powerloss.so). After each sync returns, a
// thread prints what that sync made durable ("<what> <count>", one line, under a mutex):
//   s<i> <n>  thread i's first n 64-byte records in "shared" (slot n*kThreads+i), pwrite +
//             fdatasync of the shared descriptor while the other threads write the same file
//   o<i> <n>  the first n records of "own<i>", written with write() at the current offset
//             (O_APPEND for odd i), fsync
//   c <n>     "current" holds "cur-<n>": written as cur.tmp (O_TRUNC), fdatasync, renamed over
//             current, directory fsynced
// A further thread writes to a pipe and reads it back: untracked I/O through the same calls.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mt_records.h"

namespace {

using etcdpp::powerloss::mt_records::kRecordSize;
using etcdpp::powerloss::mt_records::kThreads;
using etcdpp::powerloss::mt_records::Record;

std::string root;
std::mutex out_mu;

void Say(const std::string& what, unsigned long long n) {
  std::lock_guard<std::mutex> l(out_mu);
  std::printf("%s %llu\n", what.c_str(), n);
  std::fflush(stdout);
}

void Die(const char* what) {
  std::perror(what);
  std::_Exit(3);
}

void Shared(int fd, int i) {
  for (uint64_t j = 0;; ++j) {
    std::string r = Record(i, j);
    off_t at = static_cast<off_t>((j * kThreads + i) * kRecordSize);
    if (pwrite(fd, r.data(), r.size(), at) != ssize_t(r.size())) Die("pwrite shared");
    if (j % 8 == 7) {
      if (fdatasync(fd) != 0) Die("fdatasync shared");
      Say("s" + std::to_string(i), j + 1);
    }
  }
}

void Own(int i) {
  std::string path = root + "/own" + std::to_string(i);
  int flags = O_CREAT | O_WRONLY | O_CLOEXEC | (i % 2 ? O_APPEND : 0);
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) Die("open own");
  for (uint64_t j = 0;; ++j) {
    std::string r = Record(i, j);
    if (write(fd, r.data(), r.size()) != ssize_t(r.size())) Die("write own");
    if (j % 5 == 4) {
      if (fsync(fd) != 0) Die("fsync own");
      Say("o" + std::to_string(i), j + 1);
    }
  }
}

void SyncRoot() {
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0 || close(fd) != 0) Die("sync root");
}

void Current() {
  std::string tmp = root + "/cur.tmp", cur = root + "/current";
  for (uint64_t n = 1;; ++n) {
    int fd = open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    std::string s = "cur-" + std::to_string(n);
    if (fd < 0 || write(fd, s.data(), s.size()) != ssize_t(s.size())) Die("write cur.tmp");
    if (fdatasync(fd) != 0 || close(fd) != 0) Die("sync cur.tmp");
    if (rename(tmp.c_str(), cur.c_str()) != 0) Die("rename");
    SyncRoot();
    Say("c", n);
  }
}

void Noise() {
  int p[2];
  if (pipe(p) != 0) Die("pipe");
  char buf[64];
  while (true) {
    if (write(p[1], "noise", 5) != 5 || read(p[0], buf, sizeof buf) <= 0) Die("pipe io");
    if (fsync(p[1]) == 0) Die("fsync of a pipe worked");  // EINVAL, untracked
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  root = argv[1];
  int shared = open((root + "/shared").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (shared < 0) Die("open shared");
  for (int i = 0; i < kThreads; ++i) {
    std::string path = root + "/own" + std::to_string(i);
    int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 || close(fd) != 0) Die("create own");
  }
  SyncRoot();  // the files' entries are durable before any thread reports
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(Shared, shared, i);
    threads.emplace_back(Own, i);
  }
  threads.emplace_back(Current);
  threads.emplace_back(Noise);
  for (std::thread& t : threads) t.join();
  return 1;
}
