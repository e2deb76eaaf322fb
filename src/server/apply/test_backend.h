#pragma once
// The applier tests' storage: a real backend that commits only when forced, with an mvcc store
// on it, in a temp dir named after the running test (header-only, tests only).

#include <unistd.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backend/backend.h"
#include "common/env.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "mvcc/kvstore.h"

namespace etcdpp::server {

// "<prefix>_<pid>_<test name>" under the test temp dir, removed if a previous run left it.
inline std::string FreshTestDir(const std::string& prefix) {
  std::string dir =
      JoinPath(::testing::TempDir(),
               absl::StrCat(prefix, "_", ::getpid(), "_",
                            ::testing::UnitTest::GetInstance()->current_test_info()->name()));
  EXPECT_TRUE(Env::Default()->RemoveAll(dir).ok());
  return dir;
}

struct TestKv {
  std::unique_ptr<backend::Backend> be;
  std::unique_ptr<mvcc::KvStore> kv;
};

// Opens (or reopens) the backend in `dir` and the mvcc store on it.
inline absl::StatusOr<TestKv> OpenTestKv(const std::string& dir) {
  backend::Options o;
  o.dir = dir;
  o.background_commits = false;
  TestKv t;
  ASSIGN_OR_RETURN(t.be, backend::Backend::Open(o));
  ASSIGN_OR_RETURN(t.kv, mvcc::KvStore::Open(t.be.get()));
  return t;
}

}  // namespace etcdpp::server
