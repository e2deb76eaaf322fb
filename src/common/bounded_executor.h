#pragma once
// BoundedExecutor: a fixed set of worker threads that run queued tasks, for work that must wait
// off the gRPC callback threads and the applier (a physical compaction's end, a leader transfer,
// a forwarded promotion). It replaces a thread per waiting request: the threads are made once,
// so a client repeating such requests costs queue entries, never thread stacks.
//
// Tasks run in submission order as workers free up; one slow task holds one worker. Submit fails
// (ResourceExhausted) once `max_queued` tasks wait, and (FailedPrecondition) after Stop.
// Stop runs every task already queued, then joins the workers: a queued task often finishes a
// client call, and a call left unfinished would hold up the gRPC server's shutdown.
//
// Thread safety: all methods may be called from any thread; Stop must not be called by a task.

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/mutex.h"

namespace etcdpp {

class BoundedExecutor {
 public:
  BoundedExecutor(std::string name, size_t workers, size_t max_queued);
  ~BoundedExecutor();  // Stop()
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  void Start();
  [[nodiscard]] absl::Status Submit(std::function<void()> task);
  // Runs what is queued, then joins the workers. Idempotent.
  void Stop();

  size_t QueuedForTest();

 private:
  void Work();  // a worker thread's loop

  const std::string name_;
  const size_t workers_;
  const size_t max_queued_;

  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // each runs Work(); started by Start, joined by Stop
};

}  // namespace etcdpp
