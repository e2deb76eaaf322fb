#include "common/bounded_executor.h"

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "gtest/gtest.h"

namespace etcdpp {
namespace {

// Many tasks, few threads: every task runs, on no more threads than there are workers.
TEST(BoundedExecutorTest, RunsEveryTaskOnItsWorkers) {
  BoundedExecutor ex("test", 3, 100000);
  ex.Start();
  std::atomic<int> ran{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(ex.Submit([&] {
                    ++ran;
                    std::lock_guard<std::mutex> l(mu);
                    threads.insert(std::this_thread::get_id());
                  }).ok());
  }
  ex.Stop();
  EXPECT_EQ(ran.load(), 10000);
  EXPECT_LE(threads.size(), 3u);
}

TEST(BoundedExecutorTest, RefusesBeyondTheQueueBoundAndAfterStop) {
  BoundedExecutor ex("test", 1, 2);
  ex.Start();
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(ex.Submit([&] {
                  started.set_value();
                  gate.wait();
                }).ok());
  started.get_future().wait();  // the one worker is busy: what follows waits in the queue
  ASSERT_TRUE(ex.Submit([] {}).ok());
  ASSERT_TRUE(ex.Submit([] {}).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(ex.Submit([] {})));
  release.set_value();
  ex.Stop();
  EXPECT_EQ(ex.QueuedForTest(), 0u);
  EXPECT_TRUE(absl::IsFailedPrecondition(ex.Submit([] {})));
}

// Stop runs what was queued (a queued task may be what finishes a client's call).
TEST(BoundedExecutorTest, StopRunsWhatIsQueued) {
  BoundedExecutor ex("test", 1, 10);
  std::atomic<int> ran{0};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ex.Submit([&] { ++ran; }).ok());
  ex.Stop();  // never started
  EXPECT_EQ(ran.load(), 5);
}

}  // namespace
}  // namespace etcdpp
