#include "common/loop_thread.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace etcdpp {
namespace {

using std::chrono::milliseconds;
using Clock = LoopThread::Clock;

// The usual loop: wait for work or stop, count the rounds.
TEST(LoopThreadTest, StartsTheBodyAndStopEndsIt) {
  LoopThread loop;
  std::atomic<int> rounds{0};
  loop.Start("etcdpp-test", [&] {
    MutexLock l(loop.mu());
    while (!loop.stopping()) {
      ++rounds;
      loop.Wait();
    }
  });
  while (rounds.load() == 0) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_TRUE(loop.Stop());
  const int after = rounds.load();
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(rounds.load(), after);  // the thread has ended
}

TEST(LoopThreadTest, StopBeforeStartIsSafeAndStartAfterStopRunsNothing) {
  LoopThread loop;
  EXPECT_TRUE(loop.Stop());
  std::atomic<bool> ran{false};
  loop.Start("etcdpp-test", [&] { ran = true; });
  EXPECT_FALSE(loop.Stop());
  EXPECT_FALSE(ran.load());
}

TEST(LoopThreadTest, StopTwiceReturnsTrueOnlyOnce) {
  LoopThread loop;
  loop.Start("etcdpp-test", [&] {
    MutexLock l(loop.mu());
    while (!loop.stopping()) loop.Wait();
  });
  EXPECT_TRUE(loop.Stop());
  EXPECT_FALSE(loop.Stop());
}

TEST(LoopThreadTest, SecondStartRunsNothing) {
  LoopThread loop;
  std::atomic<int> runs{0};
  loop.Start("etcdpp-test", [&] { ++runs; });
  loop.Start("etcdpp-test", [&] { ++runs; });
  loop.Stop();
  EXPECT_EQ(runs.load(), 1);
}

// Two threads stop at once: each returns only after the loop thread has ended.
TEST(LoopThreadTest, ConcurrentStopsBothWaitForTheThread) {
  LoopThread loop;
  std::atomic<bool> ended{false};
  loop.Start("etcdpp-test", [&] {
    {
      MutexLock l(loop.mu());
      while (!loop.stopping()) loop.Wait();
    }
    std::this_thread::sleep_for(milliseconds(50));
    ended = true;
  });
  std::atomic<int> saw_ended{0};
  std::thread other([&] {
    loop.Stop();
    if (ended.load()) ++saw_ended;
  });
  loop.Stop();
  if (ended.load()) ++saw_ended;
  other.join();
  EXPECT_EQ(saw_ended.load(), 2);
}

TEST(LoopThreadTest, SleepReturnsEarlyOnStop) {
  LoopThread loop;
  std::atomic<bool> slept_whole{true};
  loop.Start("etcdpp-test", [&] {
    MutexLock l(loop.mu());
    slept_whole = loop.SleepFor(std::chrono::hours(1));
  });
  std::this_thread::sleep_for(milliseconds(20));
  const Clock::time_point start = Clock::now();
  loop.Stop();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_FALSE(slept_whole.load());
}

TEST(LoopThreadTest, SleepIgnoresSignalsAndLastsItsTime) {
  LoopThread loop;
  MutexLock l(loop.mu());
  const Clock::time_point start = Clock::now();
  std::thread signaller([&] {
    for (int i = 0; i < 5; ++i) {
      loop.SignalAll();
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  EXPECT_TRUE(loop.SleepFor(milliseconds(60)));
  EXPECT_GE(Clock::now() - start, milliseconds(60));
  signaller.join();
}

TEST(LoopThreadTest, WaitUntilReturnsFalseOncePastTheDeadline) {
  LoopThread loop;
  MutexLock l(loop.mu());
  EXPECT_FALSE(loop.WaitUntil(Clock::now() - milliseconds(1)));
  const Clock::time_point deadline = Clock::now() + milliseconds(30);
  while (loop.WaitUntil(deadline)) {
  }
  EXPECT_GE(Clock::now(), deadline);
}

TEST(LoopThreadTest, WaitUntilReturnsOnStop) {
  LoopThread loop;
  std::atomic<bool> returned{false};
  loop.Start("etcdpp-test", [&] {
    MutexLock l(loop.mu());
    const Clock::time_point deadline = Clock::now() + std::chrono::hours(1);
    while (!loop.stopping() && loop.WaitUntil(deadline)) {
    }
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(20));
  loop.Stop();
  EXPECT_TRUE(returned.load());
}

// A producer changes state under mu() and signals: the loop wakes without a timeout.
TEST(LoopThreadTest, SignalWakesTheLoop) {
  LoopThread loop;
  int queued = 0;  // guarded by loop.mu()
  std::atomic<int> taken{0};
  loop.Start("etcdpp-test", [&] {
    for (;;) {
      MutexLock l(loop.mu());
      while (!loop.stopping() && queued == 0) loop.Wait();
      if (loop.stopping()) return;
      taken += queued;
      queued = 0;
    }
  });
  for (int i = 0; i < 3; ++i) {
    {
      MutexLock l(loop.mu());
      ++queued;
    }
    loop.Signal();
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
    while (taken.load() != i + 1 && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(taken.load(), i + 1);
  }
  loop.Stop();
}

// Other threads may wait on the loop's condition too (e.g. for progress the loop makes).
TEST(LoopThreadTest, StopWakesOtherWaiters) {
  LoopThread loop;
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    MutexLock l(loop.mu());
    while (!loop.stopping()) loop.Wait();
    woke = true;
  });
  std::this_thread::sleep_for(milliseconds(20));
  loop.Stop();
  waiter.join();
  EXPECT_TRUE(woke.load());
}

std::string ThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

TEST(LoopThreadTest, NamesTheThread) {
  LoopThread loop;
  std::string name;
  loop.Start("etcdpp-applier", [&] { name = ThreadName(); });
  loop.Stop();
  EXPECT_EQ(name, "etcdpp-applier");
}

TEST(LoopThreadTest, CutsLongNamesToFifteenCharacters) {
  LoopThread loop;
  std::string name;
  loop.Start("etcdpp-a-very-long-name", [&] { name = ThreadName(); });
  loop.Stop();
  EXPECT_EQ(name, "etcdpp-a-very-l");
}

TEST(LoopThreadTest, DestructorStops) {
  std::atomic<bool> ended{false};
  {
    LoopThread loop;
    loop.Start("etcdpp-test", [&] {
      MutexLock l(loop.mu());
      while (!loop.stopping()) loop.Wait();
      ended = true;
    });
  }
  EXPECT_TRUE(ended.load());
}

}  // namespace
}  // namespace etcdpp
