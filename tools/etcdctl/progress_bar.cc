#include "progress_bar.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace etcdpp::etcdctl {
namespace {

constexpr absl::Duration kRefreshRate = absl::Milliseconds(200);

// The columns of the controlling terminal (else of stdin's); 0 when there is none.
int TerminalWidth() {
  int fd = ::open("/dev/tty", O_RDONLY | O_CLOEXEC);
  winsize ws{};
  bool ok = ::ioctl(fd >= 0 ? fd : STDIN_FILENO, TIOCGWINSZ, &ws) == 0;
  if (fd >= 0) ::close(fd);
  return ok ? ws.ws_col : 0;
}

// pb's time-left form: "[<d>d][<h>h]<mm>m<ss>s".
std::string TimeLeft(int64_t seconds) {
  std::string out;
  if (seconds > 86400) {
    absl::StrAppend(&out, seconds / 86400, "d");
    seconds %= 86400;
  }
  if (seconds > 3600) {
    absl::StrAppend(&out, seconds / 3600, "h");
    seconds %= 3600;
  }
  return absl::StrCat(out, absl::StrFormat("%02dm%02ds", seconds / 60, seconds % 60));
}

std::string Repeat(absl::string_view s, int64_t n) {
  std::string out;
  for (int64_t i = 0; i < n; ++i) absl::StrAppend(&out, s);
  return out;
}

}  // namespace

std::string GoSeconds(int64_t seconds) {
  if (seconds < 60) return absl::StrCat(seconds, "s");
  if (seconds < 3600) return absl::StrCat(seconds / 60, "m", seconds % 60, "s");
  return absl::StrCat(seconds / 3600, "h", seconds % 3600 / 60, "m", seconds % 60, "s");
}

void ProgressBar::Start() {
  start_ = absl::Now();
  {
    MutexLock l(&mu_);
    change_time_ = start_;
    started_ = true;
  }
  Draw(false);
  refresher_ = std::thread([this] { Refresh(); });
}

void ProgressBar::Refresh() {
  for (;;) {
    {
      MutexLock l(&mu_);
      if (!finished_) cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(kRefreshRate));
      if (finished_) return;
    }
    Draw(false);
  }
}

void ProgressBar::Finish() {
  {
    MutexLock l(&mu_);
    if (finished_ || !started_) return;
    finished_ = true;
    cv_.SignalAll();
  }
  if (refresher_.joinable()) refresher_.join();
  Draw(true);
  std::cout << "\n" << std::flush;
}

void ProgressBar::Draw(bool final) {
  std::string line = Line(TerminalWidth(), final);
  std::cout << "\r" << line << std::flush;
}

std::string ProgressBar::Line(int width, bool final) {
  const int64_t current = current_.load();
  absl::Time now = absl::Now(), changed;
  {
    MutexLock l(&mu_);
    if (current != previous_) {
      change_time_ = now;
      previous_ = current;
    }
    changed = change_time_;
  }
  std::string counters = absl::StrCat(" ", current, " / ", total_, " ");
  double percent = total_ > 0 ? static_cast<double>(current) / (static_cast<double>(total_) / 100)
                              : static_cast<double>(current) / 100;
  std::string pct = absl::StrFormat(" %6.02f%%", percent);
  std::string time;
  if (final) {
    time = absl::StrCat(" ", GoSeconds(absl::ToInt64Seconds(now - start_)));
  } else if (current > 0) {
    absl::Duration per_entry = (changed - start_) / current;
    absl::Duration left = (total_ - current) * per_entry - (now - changed);
    int64_t secs = absl::ToInt64Seconds(left);
    if (secs > 0) time = absl::StrCat(" ", TimeLeft(secs));
  }
  // The "Bom !" format: 'B' starts the bar, 'o' fills it, 'm' is its head, ' ' is empty, '!'
  // ends it.
  std::string bar;
  int64_t size = width - static_cast<int64_t>(counters.size() + 2 + pct.size() + time.size());
  if (width > 0 && size > 0 && total_ > 0) {
    int64_t filled = static_cast<int64_t>(
        std::ceil(static_cast<double>(current) / static_cast<double>(total_) * size));
    int64_t empty = std::max<int64_t>(0, size - filled);
    filled = std::min(filled, size);
    bar = "B";
    if (empty == 0) {
      bar += Repeat("o", filled);
    } else if (filled > 0) {
      bar += Repeat("o", filled - 1) + "m";
    }
    bar += Repeat(" ", empty) + "!";
  }
  std::string out = absl::StrCat(counters, bar, pct, time);
  if (static_cast<int64_t>(out.size()) < width) out += std::string(width - out.size(), ' ');
  return out;
}

}  // namespace etcdpp::etcdctl
