#include "common/failpoint.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "gtest/gtest.h"

namespace etcdpp::failpoint {
namespace {

using Action = Term::Action;

class FailpointTest : public ::testing::Test {
 protected:
  void TearDown() override { DisarmAllForTest(); }
};

TEST_F(FailpointTest, ParsesGofailTerms) {
  auto entries = Parse(
      "raftBeforeSave=panic; walAfterSync=2*sleep(100)->1*panic(\"boom\");"
      "beforeCommit=40.5%print;go.etcd.io/etcd/server/v3/etcdserver/raftAfterSave=return()");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].id, Id::raftBeforeSave);
  ASSERT_EQ((*entries)[0].terms.size(), 1u);
  EXPECT_EQ((*entries)[0].terms[0].action, Action::kPanic);
  EXPECT_EQ((*entries)[0].terms[0].count, -1);

  const auto& wal = (*entries)[1];
  EXPECT_EQ(wal.id, Id::walAfterSync);
  ASSERT_EQ(wal.terms.size(), 2u);
  EXPECT_EQ(wal.terms[0].action, Action::kSleep);
  EXPECT_EQ(wal.terms[0].count, 2);
  EXPECT_EQ(wal.terms[0].sleep, absl::Milliseconds(100));
  EXPECT_EQ(wal.terms[1].action, Action::kPanic);
  EXPECT_EQ(wal.terms[1].value, "boom");

  EXPECT_EQ((*entries)[2].terms[0].percent, 40.5);
  EXPECT_EQ((*entries)[2].terms[0].action, Action::kPrint);
  EXPECT_EQ((*entries)[3].id, Id::raftAfterSave);  // the package path is ignored
  EXPECT_EQ((*entries)[3].terms[0].action, Action::kReturn);
}

TEST_F(FailpointTest, SleepTakesMillisecondsOrAGoDuration) {
  for (const auto& [spec, want] :
       {std::pair{"walBeforeSync=sleep(250)", absl::Milliseconds(250)},
        std::pair{"walBeforeSync=sleep(1s)", absl::Seconds(1)},
        std::pair{"walBeforeSync=sleep(\"1.5s\")", absl::Milliseconds(1500)}}) {
    auto e = Parse(spec);
    ASSERT_TRUE(e.ok()) << spec << ": " << e.status();
    EXPECT_EQ((*e)[0].terms[0].sleep, want) << spec;
  }
}

TEST_F(FailpointTest, RefusesWhatItCannotHonourByName) {
  const std::pair<const char*, const char*> cases[] = {
      {"noSuchPoint=panic", "unknown failpoint \"noSuchPoint\""},
      {"raftBeforeSave=explode", "unknown action \"explode\""},
      {"raftBeforeSave=break", "gofail's break is not supported"},
      {"raftBeforeSave=pause", "gofail's pause is not supported"},
      {"raftBeforeSave", "want name=terms"},
      {"raftBeforeSave=0*panic", "bad count \"0\""},
      {"raftBeforeSave=101%panic", "bad percentage \"101\""},
      {"raftBeforeSave=sleep(soon)", "sleep needs milliseconds or a duration"},
      {"raftBeforeSave=panic(x", "must end with \")\""},
      {"beforeSendWatchResponse=return(1)", "failpoint beforeSendWatchResponse cannot return"},
  };
  for (const auto& [spec, want] : cases) {
    absl::Status st = Arm(spec);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_NE(st.message().find(want), absl::string_view::npos) << spec << ": " << st;
  }
}

TEST_F(FailpointTest, EnvironmentArmsOnceAndRefusesGofailHttp) {
  EXPECT_TRUE(ArmFromEnvironment({"PATH=/bin"}).ok());
  absl::Status http = ArmFromEnvironment({"GOFAIL_HTTP=127.0.0.1:22381"});
  EXPECT_EQ(http.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(http.message().find("GOFAIL_HTTP is not supported"), absl::string_view::npos);
  absl::Status bad = ArmFromEnvironment({"GOFAIL_FAILPOINTS=nope=panic"});
  EXPECT_NE(bad.message().find("unknown failpoint \"nope\""), absl::string_view::npos) << bad;
}

TEST_F(FailpointTest, ListHasEtcdsNames) {
  const auto& names = Names();
  EXPECT_EQ(names.front(), "raftBeforeLeaderSend");
  EXPECT_NE(std::find(names.begin(), names.end(), "compactAfterCommitBatch"), names.end());
  EXPECT_TRUE(CanReturn(Id::walBeforeSync));
  EXPECT_FALSE(CanReturn(Id::beforeSendWatchResponse));
}

// ---- Triggering (a failpoint build) ----------------------------------------------------------

absl::Status Site() {
  ETCDPP_FAILPOINT_OR_RETURN(walBeforeSync);
  return absl::OkStatus();
}

TEST_F(FailpointTest, CountedTermsRunInOrderThenTheFailpointIsOff) {
  if (!kBuiltIn) GTEST_SKIP() << "a build without failpoints: the sites compile to nothing";
  ASSERT_TRUE(Arm("walBeforeSync=2*return(\"disk\")->1*off->1*return(later)").ok());
  std::vector<std::string> seen;
  for (int i = 0; i < 6; ++i) seen.push_back(std::string(Site().message()));
  EXPECT_EQ(seen, (std::vector<std::string>{"failpoint walBeforeSync: return(disk)",
                                            "failpoint walBeforeSync: return(disk)", "",
                                            "failpoint walBeforeSync: return(later)", "", ""}));
}

TEST_F(FailpointTest, PercentZeroNeverRunsAndHundredAlways) {
  if (!kBuiltIn) GTEST_SKIP() << "a build without failpoints";
  ASSERT_TRUE(Arm("walBeforeSync=0%return(a)->100%return(b)").ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Site().message(), "failpoint walBeforeSync: return(b)");
}

TEST_F(FailpointTest, SleepRunsItsCountThenTheNextTerm) {
  if (!kBuiltIn) GTEST_SKIP() << "a build without failpoints";
  ASSERT_TRUE(Arm("walBeforeSync=1*sleep(1)->return(after)").ok());
  EXPECT_TRUE(Site().ok());  // slept, returned nothing
  EXPECT_EQ(Site().message(), "failpoint walBeforeSync: return(after)");
}

TEST_F(FailpointTest, UnarmedSitesDoNothingAndDisarmClears) {
  EXPECT_TRUE(Site().ok());
  if (!kBuiltIn) GTEST_SKIP() << "a build without failpoints";
  ASSERT_TRUE(Arm("walBeforeSync=return(x)").ok());
  ASSERT_TRUE(Arm("").ok());  // arming replaces everything armed before
  EXPECT_TRUE(Site().ok());
  ETCDPP_FAILPOINT(beforeSendWatchResponse);  // unarmed: nothing
}

TEST_F(FailpointTest, PanicExitsAtOnceWithStatusTwoAndNamesTheFailpoint) {
  if (!kBuiltIn) GTEST_SKIP() << "a build without failpoints";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    if (!Arm("beforeSendWatchResponse=panic(\"at the send\")").ok()) ::_exit(3);
    ETCDPP_FAILPOINT(beforeSendWatchResponse);
    ::_exit(0);  // not reached
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_EQ(out, "failpoint panic: beforeSendWatchResponse: at the send\n");
}

TEST_F(FailpointTest, ReleaseBuildRefusesToArm) {
  if (kBuiltIn) GTEST_SKIP() << "a failpoint build arms";
  absl::Status st = Arm("raftBeforeSave=panic");
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("built without failpoints"), absl::string_view::npos);
}

}  // namespace
}  // namespace etcdpp::failpoint
