// A multi-threaded process under libetcdpp_powerloss.so (mt_writer: threads writing one shared
// file and their own files, an atomic rename-over-and-fsync-the-directory loop, untracked pipe
// I/O), SIGKILLed at random moments: after recovery every sync a thread reported holds, and
// nothing the process never wrote appears.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "child_process.h"
#include "gtest/gtest.h"
#include "mt_records.h"
#include "powerloss_test_util.h"

namespace etcdpp::powerloss {
namespace {

using mt_records::kRecordSize;
using mt_records::kThreads;
using mt_records::Record;

// Reads "<what> <n>" lines until `deadline` or EOF; keeps the largest n of each `what`.
void ReadAcks(int fd, absl::Time deadline, std::string* partial,
              std::map<std::string, uint64_t>* acked) {
  char buf[4096];
  while (absl::Now() < deadline) {
    ssize_t n = read(fd, buf, sizeof buf);  // the pipe is non-blocking
    if (n == 0) return;
    if (n < 0) {
      usleep(1000);
      continue;
    }
    partial->append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial->find('\n')) != std::string::npos) {
      std::vector<std::string> parts = absl::StrSplit(partial->substr(0, nl), ' ');
      uint64_t v;
      if (parts.size() == 2 && absl::SimpleAtoi(parts[1], &v)) {
        (*acked)[parts[0]] = std::max((*acked)[parts[0]], v);
      }
      partial->erase(0, nl + 1);
    }
  }
}

void CheckOwn(const std::string& data, int i, uint64_t acked, bool torn) {
  ASSERT_GE(data.size(), acked * kRecordSize) << "own" << i << " lost synced records";
  if (!torn) {
    EXPECT_EQ(data.size() % kRecordSize, 0u) << "own" << i << " kept an unsynced part";
  }
  for (uint64_t j = 0; j * kRecordSize < data.size(); ++j) {
    std::string got = data.substr(j * kRecordSize, kRecordSize);
    EXPECT_EQ(got, Record(i, j).substr(0, got.size())) << "own" << i << " record " << j;
  }
}

TEST(MultiThreadedPowerLossTest, EveryReportedSyncHolds) {
  std::mt19937 rng(7);
  for (int round = 0; round < 6; ++round) {
    bool torn = round % 2 == 1;
    absl::Duration delay = absl::Milliseconds(30 + rng() % 270);
    SCOPED_TRACE(::testing::Message()
                 << "round " << round << " delay " << delay << (torn ? " torn" : ""));
    TempRoot t;
    auto child = StartChild({ETCDPP_POWERLOSS_MT_WRITER, t.root()},
                            ShimEnv(ETCDPP_POWERLOSS_SHIM, t.root(), t.journal()), true);
    ASSERT_TRUE(child.ok()) << child.status();
    fcntl(child->stdout_fd, F_SETFL, O_NONBLOCK);
    std::map<std::string, uint64_t> acked;
    std::string partial;
    absl::Time limit = absl::Now() + absl::Seconds(20);  // the delay runs from the first ack
    while (acked.empty() && absl::Now() < limit) {
      ReadAcks(child->stdout_fd, absl::Now() + absl::Milliseconds(5), &partial, &acked);
    }
    ReadAcks(child->stdout_fd, absl::Now() + delay, &partial, &acked);
    kill(child->pid, SIGKILL);
    ReadAcks(child->stdout_fd, absl::Now() + absl::Seconds(5), &partial, &acked);
    close(child->stdout_fd);
    auto status = WaitChild(child->pid, absl::Seconds(10));
    ASSERT_TRUE(status.ok() && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
        << "mt_writer ended on its own";
    ASSERT_FALSE(acked.empty()) << "nothing was synced in 20 s";

    auto out = Recover(t.journal(), torn, /*seed=*/round);
    ASSERT_TRUE(out.ok()) << out.status();

    std::string shared = ReadFile(t.Path("shared"));
    for (int i = 0; i < kThreads; ++i) {
      uint64_t n = acked["s" + std::to_string(i)];
      for (uint64_t j = 0; j < n; ++j) {
        size_t at = (j * kThreads + i) * kRecordSize;
        ASSERT_TRUE(shared.size() >= at + kRecordSize &&
                    shared.substr(at, kRecordSize) == Record(i, j))
            << "shared: thread " << i << " record " << j << " of " << n << " acknowledged";
      }
      ASSERT_NO_FATAL_FAILURE(CheckOwn(ReadFile(t.Path("own" + std::to_string(i))), i,
                                       acked["o" + std::to_string(i)], torn));
    }
    if (uint64_t c = acked["c"]; c > 0) {
      std::string cur = ReadFile(t.Path("current"));
      EXPECT_TRUE(cur == "cur-" + std::to_string(c) || cur == "cur-" + std::to_string(c + 1))
          << "current = " << cur << ", acknowledged " << c;
    }
    for (const std::string& name : List(t.root())) {
      EXPECT_TRUE(name == "shared" || name == "current" || name == "cur.tmp" ||
                  name.rfind("own", 0) == 0)
          << "unexpected " << name;
    }
  }
}

}  // namespace
}  // namespace etcdpp::powerloss
