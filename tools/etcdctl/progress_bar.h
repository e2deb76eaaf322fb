#pragma once
// The progress bar `check perf` and `check datascale` draw on stdout, as stock etcdctl's
// (gopkg.in/cheggaaa/pb.v1 with the "Bom !" format): every 200 ms the line is redrawn after a
// carriage return as " <current> / <total> " [bar] " <percent>%" [" <time left>"], the bar only
// when the terminal's width is known; the last line (Finish) shows the elapsed time, Go style
// ("1m0s"), and ends with a newline. Without a terminal the line is not padded:
//   \r 3 / 60    5.00% 00m56s ... \r 60 / 60  100.00% 1m0s\n

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace etcdpp::etcdctl {

class ProgressBar {
 public:
  explicit ProgressBar(int64_t total) : total_(total), start_(absl::Now()), change_time_(start_) {}
  ~ProgressBar() { Finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Draws the first line and starts the refresher thread.
  void Start();
  void Add(int64_t n) { current_.fetch_add(n); }
  // Stops the refresher, draws the final line and a newline; later calls (and calls before
  // Start) do nothing.
  void Finish();

  // The line as drawn (without the carriage return) for `width` columns (0: unknown).
  // `final` shows the elapsed time instead of the time left.
  std::string Line(int width, bool final) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Draw(bool final);
  void Refresh();  // the refresher thread's loop

  const int64_t total_;
  std::atomic<int64_t> current_{0};
  absl::Time start_;
  std::thread refresher_;

  Mutex mu_;
  CondVar cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int64_t previous_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time change_time_ ABSL_GUARDED_BY(mu_);  // when the count last changed (seen by a draw)
};

// Go's time.Duration.String() of a whole number of seconds: "0s", "3s", "1m0s", "1h2m3s".
std::string GoSeconds(int64_t seconds);

}  // namespace etcdpp::etcdctl
