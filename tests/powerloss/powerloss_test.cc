// powerloss_writer runs a scripted sequence under libetcdpp_powerloss.so and SIGKILLs itself;
// etcdpp-powerloss-recover must then leave every file exactly at its synced image, with the
// directory entries that were synced and no others (see powerloss_writer.cc for the script).

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "child_process.h"
#include "common/env.h"
#include "gtest/gtest.h"
#include "powerloss_test_util.h"

namespace etcdpp::powerloss {
namespace {

// The synced image of each file after the script; also the full listing of ROOT.
const std::map<std::string, std::string> kSynced = {
    {"a", "hello "},
    {"b", "01ab456789"},
    {"t", "truncate-me"},
    {"f", "abc"},
    {"seq", "AAAA"},
    {"dup", "dup-synced"},
    {"r1.tmp", "r1data"},
    {"n.tmp", "NEW"},
    {"dsync", "dsync-data"},
    {"app", "one"},
    {"vec", "abcd"},
    {"r2", "r2data"},
    {"existing", "OLD-EXISTING"},
    {"target", "TARGET-OLD"},
    {"victim", "VICTIM"},
    {"keep-trunc", "KEEPME"},
    {"pre", std::string(4096, '\0')},
};
const std::set<std::string> kDirs = {"keptdir/", "emptydir/"};

// Files whose only unsynced change is one append: a torn power loss keeps a prefix of it.
const std::map<std::string, std::string> kAppended = {
    {"a", "world"}, {"app", "two"}, {"dup", "+unsynced"}};

class PowerLossTest : public ::testing::Test {
 protected:
  // Lays out ROOT, runs the writer under the shim and checks it died of SIGKILL.
  void RunWriter(const TempRoot& t) {
    for (const char* name : {"existing", "target", "victim", "gone", "keep-trunc"}) {
      std::string contents = name == std::string("existing")     ? "OLD-EXISTING"
                             : name == std::string("target")     ? "TARGET-OLD"
                             : name == std::string("victim")     ? "VICTIM"
                             : name == std::string("keep-trunc") ? "KEEPME"
                                                                 : "GONE";
      ASSERT_TRUE(WriteFile(t.Path(name), contents).ok());
    }
    ASSERT_EQ(::mkdir(t.Path("emptydir").c_str(), 0755), 0);
    auto child = StartChild({ETCDPP_POWERLOSS_WRITER, t.root()},
                            ShimEnv(ETCDPP_POWERLOSS_SHIM, t.root(), t.journal()),
                            /*capture_stdout=*/false);
    ASSERT_TRUE(child.ok()) << child.status();
    auto status = WaitChild(child->pid, absl::Seconds(30));
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
        << "writer did not die of SIGKILL: status " << *status;
    // The process saw its writes (the page cache keeps them until the power loss).
    ASSERT_EQ(ReadFile(t.Path("a")), "hello world");
    ASSERT_EQ(ReadFile(t.Path("r1")), "r1data");
  }

  static std::set<std::string> ExpectedListing() {
    std::set<std::string> names = kDirs;
    for (const auto& [name, contents] : kSynced) names.insert(name);
    return names;
  }

  static void ExpectJournalReset(const TempRoot& t) {
    EXPECT_EQ(ReadFile(t.journal()), "");
    EXPECT_TRUE(List(t.journal() + ".trash").empty());
  }
};

TEST_F(PowerLossTest, RecoveryLeavesExactlyTheSyncedImage) {
  TempRoot t;
  ASSERT_NO_FATAL_FAILURE(RunWriter(t));
  auto out = Recover(t.journal());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(List(t.root()), ExpectedListing());
  for (const auto& [name, contents] : kSynced) {
    EXPECT_EQ(ReadFile(t.Path(name)), contents) << name;
  }
  EXPECT_TRUE(List(t.Path("emptydir")).empty());
  ExpectJournalReset(t);
}

// The first bytes of `s`, printable.
std::string Show(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 24)) out += (c >= 32 && c < 127) ? std::string(1, c) : "\\0";
  return out + (s.size() > 24 ? "...(" + std::to_string(s.size()) + " bytes)" : "");
}

TEST_F(PowerLossTest, TornRecoveryKeepsPrefixesAndIsReproducible) {
  TempRoot t;  // one ROOT path for every run: the cuts depend on the seed and the paths
  std::map<uint64_t, std::map<std::string, std::string>> first;
  for (int round = 0; round < 2; ++round) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE(::testing::Message() << "round " << round << " seed " << seed);
      ASSERT_TRUE(Env::Default()->RemoveAll(t.root()).ok());
      ASSERT_EQ(::mkdir(t.root().c_str(), 0755), 0);
      ASSERT_NO_FATAL_FAILURE(RunWriter(t));
      auto out = Recover(t.journal(), /*torn=*/true, seed);
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_EQ(List(t.root()), ExpectedListing());  // directory entries do not tear
      std::map<std::string, std::string> files;
      for (const auto& [name, contents] : kSynced) files[name] = ReadFile(t.Path(name));
      for (const auto& [name, appended] : kAppended) {
        const std::string& got = files[name];
        const std::string& synced = kSynced.at(name);
        EXPECT_TRUE(got.size() >= synced.size() && got.size() <= synced.size() + appended.size() &&
                    got == (synced + appended).substr(0, got.size()))
            << name << " = " << Show(got);
      }
      for (const char* name : {"dsync", "r1.tmp", "r2", "n.tmp", "target", "victim"}) {
        EXPECT_EQ(files[name], kSynced.at(name)) << name;  // nothing unsynced to tear
      }
      if (round == 0) {
        first[seed] = files;
        continue;
      }
      for (const auto& [name, contents] : files) {
        EXPECT_TRUE(contents == first[seed][name])
            << name << ": " << Show(contents) << " vs " << Show(first[seed][name]);
      }
      ExpectJournalReset(t);
    }
  }
}

TEST_F(PowerLossTest, RecoveryRefusesAJournalThatDoesNotMatchTheFiles) {
  TempRoot t;
  ASSERT_NO_FATAL_FAILURE(RunWriter(t));
  ASSERT_EQ(::unlink(t.Path("b").c_str()), 0);  // behind the shim's back
  auto out = Recover(t.journal());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(std::string(out.status().message()).find(t.Path("b")), std::string::npos)
      << out.status();
}

// A process killed inside the write() of a large record leaves it cut short; when the next run
// (a crash without recovery) appends after it, the journal reads on at that run's first record.
TEST_F(PowerLossTest, ARecordCutShortInTheMiddleIsSkipped) {
  TempRoot first, second;
  RunWriter(first);
  RunWriter(second);
  if (HasFatalFailure()) return;
  std::string a = ReadFile(first.journal());
  std::string b = ReadFile(second.journal());
  ASSERT_GT(a.size(), 100u);
  const std::string joined = first.base() + "/joined";
  ASSERT_TRUE(WriteFile(joined, a.substr(0, a.size() - 3) + b).ok());
  auto dump = [](const std::string& journal) {
    return powerloss::Run({ETCDPP_POWERLOSS_RECOVER, "--journal", journal, "--dump"},
                          absl::Seconds(60));
  };
  auto whole = dump(joined);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_TRUE(WIFEXITED(whole->status) && WEXITSTATUS(whole->status) == 0) << whole->output;
  auto only_second = dump(second.journal());
  ASSERT_TRUE(only_second.ok());
  auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  auto only_first = dump(first.journal());
  ASSERT_TRUE(only_first.ok());
  // Every record of the second run, and all of the first but the one cut short.
  EXPECT_EQ(lines(whole->output), lines(only_first->output) - 1 + lines(only_second->output));
}

TEST_F(PowerLossTest, WithoutConfigurationTheShimOnlyForwards) {
  TempRoot t;
  for (const char* name : {"existing", "target", "victim", "gone", "keep-trunc"}) {
    ASSERT_TRUE(WriteFile(t.Path(name), "x").ok());
  }
  ASSERT_EQ(::mkdir(t.Path("emptydir").c_str(), 0755), 0);
  auto child =
      StartChild({ETCDPP_POWERLOSS_WRITER, t.root()}, ShimEnv(ETCDPP_POWERLOSS_SHIM, t.root(), ""),
                 /*capture_stdout=*/false);
  ASSERT_TRUE(child.ok()) << child.status();
  auto status = WaitChild(child->pid, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << *status;
  EXPECT_EQ(ReadFile(t.Path("a")), "hello world");
  EXPECT_EQ(ReadFile(t.journal()), "<missing>");
}

}  // namespace
}  // namespace etcdpp::powerloss
