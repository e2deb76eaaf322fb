#include "bench/tool/fdatasync_floor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace etcdpp::bench {

double RunFdatasyncFloor(const Options& opts, Recorder* rec) {
  std::string path = opts.data_dir + "/etcdpp-bench-fdatasync." + std::to_string(getpid());
  int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    return -1;
  }
  const size_t kBlock = 512;
  const int64_t total = opts.total == INT64_MAX ? 1000 : opts.total;
  std::string zeros(1 << 20, '\0');
  for (int64_t written = 0; written < total * static_cast<int64_t>(kBlock);
       written += static_cast<int64_t>(zeros.size())) {
    if (write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) break;
  }
  fsync(fd);
  std::string block(kBlock, 'x');
  int64_t start = NowNs();
  for (int64_t i = 0; i < total; ++i) {
    int64_t t0 = NowNs();
    bool ok = pwrite(fd, block.data(), kBlock, static_cast<off_t>(i * kBlock)) ==
                  static_cast<ssize_t>(kBlock) &&
              fdatasync(fd) == 0;
    if (ok)
      rec->Ok(0, t0, NowNs());
    else
      rec->Error(0, NowNs(), "write or fdatasync failed");
  }
  double secs = (NowNs() - start) / 1e9;
  close(fd);
  unlink(path.c_str());
  return secs;
}

}  // namespace etcdpp::bench
