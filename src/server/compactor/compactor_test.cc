// The auto-compactor's schedules (etcd 3.4's v3compactor) and its loop on a fake clock: each
// test steps the loop one round at a time (FakeClock::RunRound), so hours of schedule run with
// no real waiting and no timing in the assertions.
#include "server/compactor/compactor.h"

#include <atomic>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "common/env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mvcc/kvstore.h"
#include "server/compactor/fake_clock.h"
#include "server/compactor/periodic.h"
#include "server/compactor/revision.h"

namespace etcdpp::server::compactor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

const absl::Time kStart = absl::UnixEpoch();

// Minutes since kStart.
int64_t MinutesAt(absl::Time t) { return absl::ToInt64Minutes(t - kStart); }

TEST(PeriodicScheduleTest, IntervalsAndWindowAsEtcds) {
  struct Case {
    absl::Duration retention, interval;
    size_t window;
  };
  for (const Case& c :
       {Case{absl::Hours(1), absl::Minutes(6), 11}, Case{absl::Hours(24), absl::Minutes(6), 241},
        Case{absl::Minutes(59), absl::Seconds(354), 11},
        Case{absl::Seconds(5), absl::Milliseconds(500), 11},
        Case{absl::Seconds(2), absl::Milliseconds(200), 11}}) {
    PeriodicSchedule s(c.retention, kStart);
    EXPECT_EQ(s.interval(), c.interval) << c.retention;
    EXPECT_EQ(s.window_size(), c.window) << c.retention;
  }
}

// 24h: nothing for a day, then hourly, each time to the revision of about a day before.
TEST(PeriodicScheduleTest, DayRetentionCompactsHourlyToTheRevisionOfADayAgo) {
  PeriodicSchedule s(absl::Hours(24), kStart);
  std::vector<std::pair<int64_t, int64_t>> done;  // (minute, revision)
  for (int k = 0; k < 260; ++k) {                 // to 26h
    s.BeforeSleep(1000 + k);                      // sampled at minute 6k
    const absl::Time now = kStart + absl::Minutes(6) * (k + 1);
    if (std::optional<int64_t> rev = s.Due(now, 5000); rev.has_value()) {
      s.Done(now, *rev);
      done.emplace_back(MinutesAt(now), *rev);
    }
  }
  EXPECT_THAT(done, ElementsAre(Pair(24 * 60, 1000), Pair(25 * 60, 1009), Pair(26 * 60, 1019)));
}

TEST(RevisionScheduleTest, KeepsTheLastRetentionRevisions) {
  RevisionSchedule s(10);
  EXPECT_EQ(s.interval(), absl::Minutes(5));
  EXPECT_EQ(s.Due(kStart, 10), std::nullopt);  // nothing below revision 1
  EXPECT_EQ(s.Due(kStart, 25), 15);
  s.Done(kStart, 15);
  EXPECT_EQ(s.Due(kStart, 25), std::nullopt);  // the revision compacted last
  EXPECT_EQ(s.Due(kStart, 26), 16);
  EXPECT_EQ(s.RetentionText(), "10 revisions");
}

TEST(ScheduleForTest, FromTheFlags) {
  Config c;
  EXPECT_EQ(ScheduleFor(c, kStart), nullptr);  // retention 0: off
  c.auto_compaction_period = absl::Hours(1);
  std::unique_ptr<Schedule> s = ScheduleFor(c, kStart);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->RetentionText(), "1h0m0s");
  c.auto_compaction_mode = "revision";
  EXPECT_EQ(ScheduleFor(c, kStart), nullptr);
  c.auto_compaction_revisions = 100;
  s = ScheduleFor(c, kStart);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->interval(), absl::Minutes(5));
}

// A compactor on a FakeClock, with the revision, the leadership and the outcome of each
// proposal in the test's hands.
class CompactorTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (compactor_ != nullptr) compactor_->Stop();
  }

  void Start(std::unique_ptr<Schedule> schedule) {
    auto clock = std::make_unique<FakeClock>(kStart);
    clock_ = clock.get();
    Compactor::Deps deps;
    deps.current_rev = [this] { return rev_.load(); };
    deps.is_leader = [this] { return leader_.load(); };
    deps.compact = [this](int64_t rev, std::function<void(absl::Status)> done) {
      absl::Status outcome;
      {
        MutexLock l(&mu_);
        calls_.emplace_back(MinutesAt(clock_->Now()), rev);
        if (hold_) {
          held_ = std::move(done);
          cv_.SignalAll();
          return;
        }
        if (!outcomes_.empty()) {
          outcome = outcomes_.front();
          outcomes_.pop_front();
        }
      }
      done(outcome);
    };
    compactor_ = std::make_unique<Compactor>(std::move(schedule), std::move(clock), deps);
    compactor_->Start();
    clock_->WaitSleeping();  // the loop took its first sample
  }
  void StartPeriodic(absl::Duration retention) {
    Start(std::make_unique<PeriodicSchedule>(retention, kStart));
  }

  // Periodic rounds: before round k the test sets the revision the loop samples after its wake,
  // 1000 + k (the loop sampled 1000 at start), so a sample's value names its round.
  void RunPeriodicRounds(int* k, int rounds) {
    for (int i = 0; i < rounds; ++i, ++*k) {
      rev_ = 1000 + *k + 1;
      clock_->RunRound();
    }
  }
  std::vector<std::pair<int64_t, int64_t>> calls() {
    MutexLock l(&mu_);
    return calls_;
  }
  void FailNext(absl::Status st) {
    MutexLock l(&mu_);
    outcomes_.push_back(std::move(st));
  }

  FakeClock* clock_ = nullptr;  // owned by compactor_
  std::atomic<int64_t> rev_{1000};
  std::atomic<bool> leader_{true};
  std::unique_ptr<Compactor> compactor_;

  Mutex mu_;
  CondVar cv_;
  std::vector<std::pair<int64_t, int64_t>> calls_ ABSL_GUARDED_BY(mu_);  // (minute, revision)
  std::deque<absl::Status> outcomes_ ABSL_GUARDED_BY(mu_);  // of the next proposals; then OK
  bool hold_ ABSL_GUARDED_BY(mu_) = false;                  // keep `done` instead of answering
  std::function<void(absl::Status)> held_ ABSL_GUARDED_BY(mu_);
};

// 1h: samples every 6 minutes; the first compaction at 60 min to the revision of start, then
// hourly to the oldest of the 11 samples kept (etcd's window, one interval past the hour).
TEST_F(CompactorTest, PeriodicCompactsHourlyToTheOldestSample) {
  StartPeriodic(absl::Hours(1));
  int k = 0;
  RunPeriodicRounds(&k, 9);  // minutes 6..54
  EXPECT_THAT(calls(), IsEmpty());
  RunPeriodicRounds(&k, 21);  // minutes 60..180
  EXPECT_THAT(calls(), ElementsAre(Pair(60, 1000), Pair(120, 1009), Pair(180, 1019)));
}

// Not the leader: no proposal, but the samples go on, so the new leader compacts at its first
// round to the revision of an hour (and a bit) before.
TEST_F(CompactorTest, PeriodicRunsOnlyOnTheLeader) {
  leader_ = false;
  StartPeriodic(absl::Hours(1));
  int k = 0;
  RunPeriodicRounds(&k, 15);  // minutes 6..90
  EXPECT_THAT(calls(), IsEmpty());
  leader_ = true;
  RunPeriodicRounds(&k, 1);  // minute 96: samples of minutes 30..90 kept
  EXPECT_THAT(calls(), ElementsAre(Pair(96, 1005)));
  leader_ = false;
  RunPeriodicRounds(&k, 20);  // minutes 102..216: due at 156, paused
  EXPECT_THAT(calls(), ElementsAre(Pair(96, 1005)));
  leader_ = true;
  RunPeriodicRounds(&k, 1);  // minute 222
  EXPECT_THAT(calls(), ElementsAre(Pair(96, 1005), Pair(222, 1026)));
}

// A failed proposal is retried at the next round (one interval later); the hour restarts from
// the retry's success.
TEST_F(CompactorTest, PeriodicRetriesAfterAFailure) {
  FailNext(absl::DeadlineExceededError("etcdserver: request timed out"));
  StartPeriodic(absl::Hours(1));
  int k = 0;
  RunPeriodicRounds(&k, 22);  // minutes 6..132
  EXPECT_THAT(calls(), ElementsAre(Pair(60, 1000), Pair(66, 1000), Pair(126, 1010)));
}

// "required revision has been compacted" means someone compacted further already: done, the
// next compaction an hour later, as after a success.
TEST_F(CompactorTest, PeriodicTakesErrCompactedAsDone) {
  FailNext(mvcc::CompactedError());
  StartPeriodic(absl::Hours(1));
  int k = 0;
  RunPeriodicRounds(&k, 20);  // minutes 6..120
  EXPECT_THAT(calls(), ElementsAre(Pair(60, 1000), Pair(120, 1009)));
}

TEST_F(CompactorTest, RevisionModeEveryFiveMinutes) {
  rev_ = 5;
  Start(std::make_unique<RevisionSchedule>(10));
  clock_->RunRound();  // 5 min: 5 - 10 <= 0
  rev_ = 100;
  clock_->RunRound();  // 10 min: 90
  clock_->RunRound();  // 15 min: 90 again: nothing
  EXPECT_THAT(calls(), ElementsAre(Pair(10, 90)));

  rev_ = 150;
  FailNext(absl::UnavailableError("etcdserver: no leader"));
  clock_->RunRound();  // 20 min: 140 fails
  clock_->RunRound();  // 25 min: 140 again
  clock_->RunRound();  // 30 min: done already
  EXPECT_THAT(calls(), ElementsAre(Pair(10, 90), Pair(20, 140), Pair(25, 140)));

  rev_ = 200;
  FailNext(mvcc::CompactedError());
  clock_->RunRound();  // 35 min: 190, compacted already: done
  clock_->RunRound();  // 40 min: nothing
  EXPECT_THAT(calls(), ElementsAre(Pair(10, 90), Pair(20, 140), Pair(25, 140), Pair(35, 190)));

  leader_ = false;
  rev_ = 300;
  clock_->RunRound();  // 45 min: not the leader
  leader_ = true;
  clock_->RunRound();  // 50 min: 290
  EXPECT_THAT(calls(), ElementsAre(Pair(10, 90), Pair(20, 140), Pair(25, 140), Pair(35, 190),
                                   Pair(50, 290)));
}

// Stop ends the wait for a proposal that never answers; its late answer is harmless.
TEST_F(CompactorTest, StopWhileAProposalIsInFlight) {
  {
    MutexLock l(&mu_);
    hold_ = true;
  }
  Start(std::make_unique<RevisionSchedule>(10));
  rev_ = 100;
  clock_->WakeSleeper();
  std::function<void(absl::Status)> done;
  {
    MutexLock l(&mu_);
    while (!held_) cv_.Wait(&mu_);
    done = std::move(held_);
  }
  compactor_->Stop();
  compactor_.reset();
  done(absl::OkStatus());
  EXPECT_THAT(calls(), ElementsAre(Pair(5, 90)));
}

TEST(RealClockTest, CancelEndsASleep) {
  RealClock clock(Env::Default());
  std::atomic<bool> slept{true};
  std::thread sleeper([&] { slept = clock.SleepFor(absl::Hours(1)); });
  clock.Cancel();
  sleeper.join();
  EXPECT_FALSE(slept);
  EXPECT_FALSE(clock.SleepFor(absl::Hours(1)));  // every later sleep, at once
}

}  // namespace
}  // namespace etcdpp::server::compactor
