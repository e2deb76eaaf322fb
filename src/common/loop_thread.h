#pragma once
// LoopThread: the skeleton of a class that runs one loop on its own thread -- the mutex, the
// condition variable the loop waits on, the stopping flag and the thread -- so each such class
// keeps only its loop body and its own state.
//
// The owner guards its state with the loop's mutex, so that the analysis (clang
// -Wthread-safety) sees one lock:
//
//   class Worker {
//     ...
//     void Loop();                  // the worker thread
//     LoopThread loop_;             // runs Loop(); mu() guards what follows
//     std::deque<Job> queue_ ABSL_GUARDED_BY(loop_.mu());
//   };
//   void Worker::Start() { loop_.Start("etcdpp-worker", [this] { Loop(); }); }
//   void Worker::Add(Job j) {
//     { MutexLock l(loop_.mu()); queue_.push_back(std::move(j)); }
//     loop_.Signal();
//   }
//   void Worker::Loop() {
//     for (;;) {
//       MutexLock l(loop_.mu());
//       while (!loop_.stopping() && queue_.empty()) loop_.Wait();
//       if (loop_.stopping()) return;
//       ...
//     }
//   }
//
// Every wait returns once Stop is called (Stop wakes all waiters), so a loop that checks
// stopping() around its waits ends promptly. Other threads may wait on the same condition too
// (Wait, WaitUntil); Signal and SignalAll wake them as well.
//
// Thread safety: all methods may be called from any thread, except that Stop must not be
// called by the loop thread itself (it joins it).

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "common/mutex.h"

namespace etcdpp {

class LoopThread {
 public:
  using Clock = std::chrono::steady_clock;

  LoopThread() = default;
  ~LoopThread();  // Stop()
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  // Runs `body` on a new thread named `name` (pthread_setname_np: at most 15 characters, the
  // rest is cut). The body should return soon after stopping() becomes true. Only the first
  // call starts a thread; a call after Stop starts nothing.
  void Start(const std::string& name, std::function<void()> body) ABSL_LOCKS_EXCLUDED(mu_);

  // Sets stopping(), wakes every waiter and joins the thread (if it was started). Idempotent
  // and safe before Start; every call returns once the thread has ended. True for the call that
  // set stopping(); false for later calls (and after MarkStopping).
  bool Stop() ABSL_LOCKS_EXCLUDED(mu_);
  // Sets stopping() without waking or joining, for an owner that must do more in the same
  // critical section (cancel an RPC in flight); it calls Stop() afterwards.
  void MarkStopping() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { stopping_ = true; }

  // The loop's mutex: the owner's state may be ABSL_GUARDED_BY(loop_.mu()).
  Mutex* mu() const ABSL_LOCK_RETURNED(mu_) { return &mu_; }
  bool stopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; }

  // Wakes one waiter / every waiter. The caller may hold mu() or not.
  void Signal() { cv_.Signal(); }
  void SignalAll() { cv_.SignalAll(); }

  // One wait on the condition: until Signal, SignalAll or Stop (spurious wake-ups possible, so
  // callers wait in a loop on their own condition and stopping()).
  void Wait() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { cv_.Wait(&mu_); }
  // As Wait, but not past `deadline`. Returns false, without waiting, once `deadline` has
  // passed:  while (!loop_.stopping() && !ready && loop_.WaitUntil(deadline)) {}
  bool WaitUntil(Clock::time_point deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool WaitFor(std::chrono::nanoseconds timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return WaitUntil(Clock::now() + timeout);
  }

  // Waits until `deadline` or Stop, whichever comes first; signals do not end it. Returns
  // !stopping().
  bool SleepUntil(Clock::time_point deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SleepFor(std::chrono::nanoseconds d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return SleepUntil(Clock::now() + d);
  }

 private:
  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Lock order: join_mu_ before mu_. Serializes Start and Stop, so that the thread is started
  // and joined once even when they race.
  Mutex join_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);  // runs the body given to Start
};

}  // namespace etcdpp
