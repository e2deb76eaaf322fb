#include "server/metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>

namespace etcdpp::server {
namespace {
namespace pm = ::prometheus;

void Add(std::vector<pm::MetricFamily>* out, const std::string& name, const std::string& help,
         pm::MetricType type, double v) {
  pm::MetricFamily f{name, help, type, {}};
  pm::ClientMetric m;
  if (type == pm::MetricType::Counter) {
    m.counter.value = v;
  } else {
    m.gauge.value = v;
  }
  f.metric.push_back(m);
  out->push_back(std::move(f));
}

double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

double OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  double n = 0;
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n - 3;  // ".", "..", and the directory's own descriptor
}

// A soft limit as client_golang reads it from /proc/self/limits: "unlimited" is 2^64 - 1.
double SoftLimit(int resource) {
  rlimit rl{};
  if (getrlimit(resource, &rl) != 0) return 0;
  return rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : static_cast<double>(rl.rlim_cur);
}

}  // namespace

std::vector<pm::MetricFamily> ProcessCollector::Collect() const {
  std::vector<pm::MetricFamily> out;
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream rest(content.substr(content.rfind(')') + 2));
  std::vector<std::string> f{"", "", ""};  // fields 1-2 consumed; index = field number - 1
  for (std::string tok; rest >> tok;) f.push_back(tok);
  if (f.size() < 25) return out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double fds = OpenFds();
  const double max_fds = SoftLimit(RLIMIT_NOFILE);
  Add(&out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
      pm::MetricType::Counter, (std::stod(f[14]) + std::stod(f[15])) / tick);
  Add(&out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", pm::MetricType::Gauge,
      std::stod(f[23]));
  Add(&out, "process_virtual_memory_max_bytes",
      "Maximum amount of virtual memory available in bytes.", pm::MetricType::Gauge,
      SoftLimit(RLIMIT_AS));
  Add(&out, "process_resident_memory_bytes", "Resident memory size in bytes.",
      pm::MetricType::Gauge, std::stod(f[24]) * page);
  Add(&out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
      pm::MetricType::Gauge, BootTime() + std::stod(f[22]) / tick);
  Add(&out, "process_open_fds", "Number of open file descriptors.", pm::MetricType::Gauge, fds);
  Add(&out, "process_max_fds", "Maximum number of open file descriptors.", pm::MetricType::Gauge,
      max_fds);
  // etcd samples these every 10 minutes (monitorFileDescriptor); here at each scrape.
  Add(&out, "os_fd_used", "The number of used file descriptors.", pm::MetricType::Gauge, fds);
  Add(&out, "os_fd_limit", "The file descriptor limit.", pm::MetricType::Gauge, max_fds);
  return out;
}

}  // namespace etcdpp::server
