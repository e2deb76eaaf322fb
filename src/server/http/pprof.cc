#include "server/http/pprof.h"

#include <dlfcn.h>
#include <gperftools/profiler.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/http/gateway.h"

namespace etcdpp::server::http {
namespace {

constexpr char kPrefix[] = "/debug/pprof/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Go's pprof serveError: text/plain, X-Go-Pprof: 1, the message and a newline.
void ServeError(Responder* resp, int status, const std::string& text) {
  resp->Reply(status, "text/plain; charset=utf-8", text + "\n",
              {{"X-Go-Pprof", "1"}, {"X-Content-Type-Options", "nosniff"}});
}

// A fresh file for a profile to be written to and read back ("" if none could be made).
std::string TempPath(const char* what) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl =
      absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp", "/etcdpp-", what, "-XXXXXX");
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return "";
  ::close(fd);
  return tmpl;
}

// jemalloc's mallctl when the process runs on jemalloc (looked up, so that a build on glibc
// malloc links too).
using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
MallctlFn Mallctl() { return reinterpret_cast<MallctlFn>(::dlsym(RTLD_DEFAULT, "mallctl")); }

const char kIndex[] =
    "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/<br>\n<br>\n"
    "Types of profiles available:\n<table>\n"
    "<tr><td><a href=\"heap\">heap</a></td><td>jemalloc's heap profile (start etcdpp with "
    "MALLOC_CONF=prof:true)</td></tr>\n"
    "<tr><td><a href=\"profile?seconds=30\">profile</a></td><td>CPU profile "
    "(?seconds=N)</td></tr>\n"
    "<tr><td><a href=\"cmdline\">cmdline</a></td><td>the command line</td></tr>\n"
    "</table>\n</body>\n</html>\n";

}  // namespace

Pprof::~Pprof() {
  std::thread t;
  {
    MutexLock l(&mu_);
    stop_ = true;
    cv_.SignalAll();
    t = std::move(profiler_);
  }
  if (t.joinable()) t.join();
}

void Pprof::Serve(const Request& req, std::shared_ptr<Responder> resp) {
  std::string name = req.path.substr(sizeof kPrefix - 1);
  if (name.empty()) {
    resp->Reply(200, "text/html; charset=utf-8", kIndex, {{"X-Content-Type-Options", "nosniff"}});
  } else if (name == "profile") {
    CpuProfile(req, std::move(resp));
  } else if (name == "heap") {
    Heap(resp.get());
  } else if (name == "cmdline") {
    std::string cmdline = ReadFile("/proc/self/cmdline");
    if (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
    resp->Reply(200, "text/plain; charset=utf-8", cmdline, {{"X-Content-Type-Options", "nosniff"}});
  } else if (name == "symbol") {
    // Go answers "num_symbols: 1" and looks up POSTed addresses; etcdpp has no remote lookup,
    // which tells pprof to symbolize with the local binary.
    resp->Reply(200, "text/plain; charset=utf-8", "num_symbols: 0\n",
                {{"X-Content-Type-Options", "nosniff"}});
  } else if (name == "goroutine" || name == "threadcreate" || name == "block" || name == "mutex" ||
             name == "allocs" || name == "trace") {
    ServeError(resp.get(), 501,
               absl::StrCat("Profile ", name,
                            " is a Go runtime profile; etcdpp is not written in Go and serves "
                            "profile, heap and cmdline"));
  } else {
    ServeError(resp.get(), 404, "Unknown profile");
  }
}

void Pprof::CpuProfile(const Request& req, std::shared_ptr<Responder> resp) {
  // Go: strconv.ParseInt of ?seconds=, 30 when absent, malformed or not positive.
  int64_t sec = 0;
  std::vector<std::string> v = req.QueryValues("seconds");
  if (v.empty() || !absl::SimpleAtoi(v[0], &sec) || sec <= 0) sec = 30;
  std::string path = TempPath("cpu");
  if (path.empty()) {
    ServeError(resp.get(), 500, "Could not enable CPU profiling: no temporary file");
    return;
  }
  MutexLock l(&mu_);
  if (running_ || !::ProfilerStart(path.c_str())) {
    ::unlink(path.c_str());
    ServeError(resp.get(), 500, "Could not enable CPU profiling: cpu profiling already in use");
    return;
  }
  if (profiler_.joinable()) profiler_.join();  // the last profile's thread, already done
  running_ = true;
  stop_ = false;
  resp->OnGone([this] {
    MutexLock l(&mu_);
    stop_ = true;
    cv_.SignalAll();
  });
  profiler_ = std::thread([this, resp, path, sec] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(sec);
    {
      MutexLock l(&mu_);
      while (!stop_ && std::chrono::steady_clock::now() < deadline) {
        cv_.WaitFor(&mu_, deadline - std::chrono::steady_clock::now());
      }
    }
    ::ProfilerStop();
    std::string profile = ReadFile(path);
    ::unlink(path.c_str());
    resp->Reply(200, "application/octet-stream", std::move(profile),
                {{"Content-Disposition", "attachment; filename=\"profile\""},
                 {"X-Content-Type-Options", "nosniff"}});
    MutexLock l(&mu_);
    running_ = false;
  });
}

void Pprof::Heap(Responder* resp) {
  MallctlFn mallctl = Mallctl();
  bool prof = false;
  size_t size = sizeof prof;
  if (mallctl == nullptr || mallctl("opt.prof", &prof, &size, nullptr, 0) != 0 || !prof) {
    ServeError(resp, 501,
               "heap profile: jemalloc's heap profiler is off; start etcdpp with "
               "MALLOC_CONF=prof:true in its environment to serve it");
    return;
  }
  std::string path = TempPath("heap");
  const char* file = path.c_str();
  if (path.empty() || mallctl("prof.dump", nullptr, nullptr, &file, sizeof file) != 0) {
    if (!path.empty()) ::unlink(file);
    ServeError(resp, 500, "Could not dump heap profile");
    return;
  }
  std::string profile = ReadFile(path);
  ::unlink(file);
  resp->Reply(200, "application/octet-stream", std::move(profile),
              {{"Content-Disposition", "attachment; filename=\"heap\""},
               {"X-Content-Type-Options", "nosniff"}});
}

}  // namespace etcdpp::server::http
