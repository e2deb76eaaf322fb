#include "common/no_sync_env.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/fault_injection_env.h"
#include "gtest/gtest.h"

namespace etcdpp {
namespace {

// NoSyncEnv over a FaultInjectionEnv: what it "syncs" never reaches stable storage, so a power
// loss takes it (what --unsafe-no-fsync means); without the wrapper the same calls keep it.
TEST(NoSyncEnvTest, SyncsDoNotReachTheDisk) {
  const std::string dir = JoinPath(::testing::TempDir(), absl::StrCat("no_sync_env_", ::getpid()));
  ASSERT_TRUE(Env::Default()->RemoveAll(dir).ok());
  ASSERT_TRUE(Env::Default()->CreateDirs(dir).ok());
  FaultInjectionEnv disk(Env::Default());
  NoSyncEnv no_sync(&disk);
  for (Env* env : {static_cast<Env*>(&disk), static_cast<Env*>(&no_sync)}) {
    const std::string path = JoinPath(dir, env == &disk ? "synced" : "unsynced");
    auto f = env->OpenFile(path, OpenMode::kCreateNew);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append("data").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Fsync().ok());
    ASSERT_TRUE((*f)->Close().ok());
    ASSERT_TRUE(env->SyncDir(dir).ok());
  }
  EXPECT_EQ(disk.sync_count(), 2);  // only the two through the fault env itself
  ASSERT_TRUE(disk.DropUnsyncedData().ok());
  EXPECT_EQ(*Env::Default()->ReadFileToString(JoinPath(dir, "synced")), "data");
  EXPECT_FALSE(Env::Default()->FileExists(JoinPath(dir, "unsynced")));
  EXPECT_TRUE(Env::Default()->RemoveAll(dir).ok());
}

}  // namespace
}  // namespace etcdpp
