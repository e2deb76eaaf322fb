#pragma once
// Pprof: what --enable-pprof (or --debug) serves under /debug/pprof/ on the client port, in the
// shape of Go's net/http/pprof that etcd mounts there, with a C++ server's profiles behind it:
//   /debug/pprof/          an index of what is served
//   /debug/pprof/profile   a CPU profile of ?seconds=N (default 30), gperftools' sampling profiler
//                          at 100 Hz, in the legacy pprof format `go tool pprof` and google-pprof
//                          read (symbols from the etcdpp binary)
//   /debug/pprof/heap      jemalloc's heap profile (heap_v2, read by jeprof and `go tool pprof`)
//                          when the server was started with MALLOC_CONF=prof:true; otherwise 501
//                          saying so
//   /debug/pprof/cmdline   the command line, NUL-separated
//   /debug/pprof/symbol    "num_symbols: 0": no remote symbol lookup, profiles symbolize locally
//   goroutine, threadcreate, block, mutex, allocs, trace: Go runtime profiles, 501 naming them
// One CPU profile at a time, as Go's (a second gets 500 "cpu profiling already in use"). The
// profile runs on its own thread and answers when its time is up or the client goes away.

#include <memory>
#include <thread>

#include "common/mutex.h"
#include "server/http/request.h"
#include "server/http/responder.h"

namespace etcdpp::server::http {

class Pprof {
 public:
  Pprof() = default;
  ~Pprof();  // stops a running profile (its client gets what was sampled so far)
  Pprof(const Pprof&) = delete;
  Pprof& operator=(const Pprof&) = delete;

  // Serves a request whose path starts with /debug/pprof/.
  void Serve(const Request& req, std::shared_ptr<Responder> resp);

 private:
  void CpuProfile(const Request& req, std::shared_ptr<Responder> resp);
  void Heap(Responder* resp);

  Mutex mu_;
  CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;     // end the running profile now
  bool running_ ABSL_GUARDED_BY(mu_) = false;  // a CPU profile is being taken
  std::thread profiler_ ABSL_GUARDED_BY(mu_);  // the last profile's thread (joined before reuse)
};

}  // namespace etcdpp::server::http
