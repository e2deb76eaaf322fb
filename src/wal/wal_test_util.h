#pragma once
// Helpers shared by the WAL tests: a fresh directory per test and byte-level file surgery.

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "gtest/gtest.h"
#include "raft/types.h"

namespace etcdpp::wal {

class WalTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = JoinPath(
        ::testing::TempDir(),
        absl::StrCat("wal_test_", ::getpid(), "_", info->test_suite_name(), "_", info->name()));
    ASSERT_TRUE(env_->RemoveAll(root_).ok());
    ASSERT_TRUE(env_->CreateDirs(root_).ok());
    dir_ = JoinPath(root_, "wal");
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveAll(root_).ok()); }

  static raft::Entry Ent(uint64_t index, uint64_t term, std::string data = "") {
    if (data.empty()) data = absl::StrCat("data-", index, "-", term);
    return raft::Entry{term, index, raft::EntryType::kNormal, std::move(data)};
  }
  static std::vector<raft::Entry> Ents(uint64_t from, uint64_t to, uint64_t term) {
    std::vector<raft::Entry> out;
    for (uint64_t i = from; i <= to; ++i) out.push_back(Ent(i, term));
    return out;
  }

  std::string SegPath(const std::string& name) { return JoinPath(dir_, name); }
  std::string ReadFile(const std::string& path) { return *env_->ReadFileToString(path); }
  void WriteFile(const std::string& path, const std::string& data) {
    auto f = env_->OpenFile(path, OpenMode::kCreateOrTruncate);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(0, data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  void WriteAt(const std::string& path, uint64_t offset, const std::string& data) {
    auto f = env_->OpenFile(path, OpenMode::kOpenExisting);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(offset, data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  void Truncate(const std::string& path, uint64_t size) {
    auto f = env_->OpenFile(path, OpenMode::kOpenExisting);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Truncate(size).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  // Offset just past the last non-zero byte of a file, rounded up to 8 (the end of its records).
  uint64_t RecordsEnd(const std::string& path) {
    std::string data = ReadFile(path);
    size_t end = data.find_last_not_of('\0');
    return end == std::string::npos ? 0 : (end + 8) / 8 * 8;
  }

  Env* env_ = Env::Default();
  std::string root_;
  std::string dir_;
};

}  // namespace etcdpp::wal
