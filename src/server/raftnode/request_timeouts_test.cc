#include "server/raftnode/request_timeouts.h"
#include "server/config.h"

#include <vector>

#include "common/mutex.h"
#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

TEST(RequestTimeoutsTest, ExpiresEveryTrackedRequestInOrderWithItsStart) {
  Mutex mu;
  CondVar cv;
  std::vector<uint64_t> expired;
  std::vector<RequestTimeouts::Clock::time_point> starts;
  RequestTimeouts t(std::chrono::milliseconds(30),
                    [&](uint64_t id, RequestTimeouts::Clock::time_point s) {
                      MutexLock l(&mu);
                      expired.push_back(id);
                      starts.push_back(s);
                      cv.SignalAll();
                    });
  t.Start();
  const auto before = RequestTimeouts::Clock::now();
  t.Track(7);
  t.Track(3);
  t.Track(9);
  {
    MutexLock l(&mu);
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);  // bounded wait
    while (expired.size() < 3 && std::chrono::steady_clock::now() < end)
      cv.WaitFor(&mu, std::chrono::milliseconds(50));
    ASSERT_EQ(expired, (std::vector<uint64_t>{7, 3, 9}));
    for (auto s : starts) {
      EXPECT_GE(s, before);
      EXPECT_GE(RequestTimeouts::Clock::now() - s, std::chrono::milliseconds(30));  // not early
    }
  }
  t.Stop();
}

TEST(RequestTimeoutsTest, StopLeavesTheRestUnexpired) {
  int calls = 0;
  RequestTimeouts t(std::chrono::hours(1),
                    [&](uint64_t, RequestTimeouts::Clock::time_point) { ++calls; });
  t.Start();
  t.Track(1);
  t.Stop();
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(RequestTimeoutFor(1000), std::chrono::milliseconds(7000));
}

}  // namespace
}  // namespace etcdpp::server
