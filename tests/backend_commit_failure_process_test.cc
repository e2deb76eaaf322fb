// backend_commit_failure_process_test: a backend commit that the disk refuses stops the member
// cleanly, and a restart finds every acknowledged write.
//
// The member runs under a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so that writes past
// it fail with EFBIG, as a full disk fails them with ENOSPC): its WAL segments (64 MiB each) fit
// under the limit, its LMDB file grows past it as 1 MiB values are put. The commit that crosses
// the limit fails; etcd treats a failed bbolt commit as fatal, and so do we, but without abort():
// the member logs "the member stops" with the db file and the cause, exits with status 1 (no
// signal, no core), and was never allowed a half-applied state (LMDB keeps its last commit). On
// a restart without the limit, the WAL replays what the backend had not committed: every put
// that was acknowledged before the stop reads back with its value.

#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

constexpr size_t kValueBytes = 1 << 20;
constexpr size_t kFileLimitBytes = size_t{72} << 20;  // above a 64 MiB WAL segment
constexpr int kMaxPuts = 160;                         // 160 MiB: far past the limit

std::string ValueFor(int i) { return std::string(kValueBytes, static_cast<char>('a' + i % 26)); }

// A launcher that runs the server under the file-size limit named by $FSIZE_LIMIT_FOR_TEST
// (none when unset). `exec` keeps the PID the harness knows.
std::string WriteLauncher(const std::string& dir, const std::string& binary) {
  const std::string path = dir + "/limited-etcdpp.sh";
  std::ofstream f(path);
  f << "#!/bin/sh\n"
    << "if [ -n \"$FSIZE_LIMIT_FOR_TEST\" ]; then\n"
    << "  trap '' XFSZ\n"
    << "  exec prlimit --fsize=\"$FSIZE_LIMIT_FOR_TEST\" -- '" << binary << "' \"$@\"\n"
    << "fi\n"
    << "exec '" << binary << "' \"$@\"\n";
  f.close();
  ::chmod(path.c_str(), 0755);
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

TEST(BackendCommitFailureTest, MemberStopsCleanlyAndRestartsWithEveryAcknowledgedWrite) {
  const ServerFlavor flavor = FlavorByName("etcdpp");
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  char dir_template[] = "/tmp/etcdpp-commitfail-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string launcher = WriteLauncher(dir_template, flavor.binary);
  auto created = ServerProcess::Create(
      launcher,
      MemberConfig{.extra_env = {absl::StrCat("FSIZE_LIMIT_FOR_TEST=", kFileLimitBytes)}});
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<ServerProcess> s = std::move(*created);
  ASSERT_TRUE(s->Launch().ok());
  ASSERT_TRUE(s->WaitReady().ok()) << s->LogTail();

  auto stub = etcdserverpb::KV::NewStub(NewChannel(s->Endpoint()));
  std::vector<int> acked;
  const absl::Time give_up = absl::Now() + absl::Seconds(180);
  for (int i = 0; i < kMaxPuts && s->Running() && absl::Now() < give_up; ++i) {
    etcdserverpb::PutRequest put;
    put.set_key(absl::StrCat("big/", i));
    put.set_value(ValueFor(i));
    etcdserverpb::PutResponse resp;
    grpc::Status st = stub->Put(ContextWithDeadline(std::chrono::seconds(5)).get(), put, &resp);
    if (st.ok()) acked.push_back(i);
  }
  // The member stops on its own once the failed commit is seen (bounded wait).
  const absl::Time stop_by = absl::Now() + absl::Seconds(30);
  while (s->Running() && absl::Now() < stop_by) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_FALSE(s->Running()) << "the member kept running past a failed commit\n" << s->LogTail();
  const int status = s->last_wait_status();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)
      << "wait status " << status << " (a signal means abort or SIGXFSZ)\n"
      << s->LogTail();
  const std::string log = ReadFile(s->log_path());
  EXPECT_TRUE(absl::StrContains(log, "the member stops")) << s->LogTail();
  EXPECT_TRUE(absl::StrContains(log, "cannot commit batch to " + s->data_dir())) << s->LogTail();
  // The cause as LMDB reports it: EFBIG, or EIO for the short write that preceded it.
  EXPECT_TRUE(absl::StrContains(log, "File too large") ||
              absl::StrContains(log, "Input/output error"))
      << s->LogTail();
  ASSERT_GT(acked.size(), 10u) << "too few puts before the stop to mean anything";

  // Without the limit, the member restarts and every acknowledged put reads back.
  s->set_extra_env({});
  ASSERT_TRUE(s->Restart().ok()) << s->LogTail();
  stub = etcdserverpb::KV::NewStub(NewChannel(s->Endpoint()));
  for (int i : acked) {
    etcdserverpb::RangeRequest range;
    range.set_key(absl::StrCat("big/", i));
    etcdserverpb::RangeResponse rr;
    grpc::Status st = stub->Range(ContextWithDeadline(std::chrono::seconds(5)).get(), range, &rr);
    ASSERT_TRUE(st.ok()) << StatusString(st);
    ASSERT_EQ(rr.kvs_size(), 1) << "acknowledged put big/" << i << " lost";
    EXPECT_TRUE(rr.kvs(0).value() == ValueFor(i)) << "big/" << i << " has another value";
  }
  // Writes go on after the restart.
  etcdserverpb::PutRequest put;
  put.set_key("after");
  put.set_value("restart");
  etcdserverpb::PutResponse resp;
  grpc::Status st = stub->Put(ContextWithDeadline(std::chrono::seconds(5)).get(), put, &resp);
  EXPECT_TRUE(st.ok()) << StatusString(st);
  EXPECT_TRUE(s->Stop().ok());
  if (HasFailure()) s->set_keep_temp_dir(true);
  std::remove(launcher.c_str());
  ::rmdir(dir_template);
}

}  // namespace
}  // namespace etcdpp::testing
