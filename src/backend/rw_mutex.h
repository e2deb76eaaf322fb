#pragma once
// RwMutex: a reader/writer lock that prefers writers. std::shared_mutex on glibc is a
// pthread_rwlock with the default reader preference, under which a steady stream of readers
// (Range requests) starves the single writer (the applier) indefinitely. Meets the
// SharedMutex requirements, so std::shared_lock / std::unique_lock work with it.

#include <pthread.h>

#include <cstdio>
#include <cstdlib>

namespace etcdpp::backend {

class RwMutex {
 public:
  RwMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (pthread_rwlock_init(&rw_, &attr) != 0) {
      std::fprintf(stderr, "RwMutex: pthread_rwlock_init failed\n");
      std::abort();
    }
    pthread_rwlockattr_destroy(&attr);
  }
  ~RwMutex() { pthread_rwlock_destroy(&rw_); }
  RwMutex(const RwMutex&) = delete;
  RwMutex& operator=(const RwMutex&) = delete;

  void lock() { pthread_rwlock_wrlock(&rw_); }
  bool try_lock() { return pthread_rwlock_trywrlock(&rw_) == 0; }
  void unlock() { pthread_rwlock_unlock(&rw_); }
  // Not recursive: a thread must not take the shared lock twice while a writer may wait.
  void lock_shared() { pthread_rwlock_rdlock(&rw_); }
  bool try_lock_shared() { return pthread_rwlock_tryrdlock(&rw_) == 0; }
  void unlock_shared() { pthread_rwlock_unlock(&rw_); }

 private:
  pthread_rwlock_t rw_;
};

}  // namespace etcdpp::backend
