#pragma once
// Test fixture helpers for the mvcc tests: a backend in a fresh temp directory.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "backend/backend.h"
#include "gtest/gtest.h"
#include "mvcc/kvstore.h"

namespace etcdpp::mvcc {

class StoreTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("mvcc_test_", getpid(), "_", info->test_suite_name(), "_", info->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    be_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Closes the store and the backend (committing what is staged) and opens both again.
  void Reopen(bool background_commits = false) {
    store_.reset();
    be_.reset();
    backend::Options o;
    o.dir = dir_.string();
    o.map_size = size_t{1} << 30;
    o.background_commits = background_commits;
    auto be = backend::Backend::Open(o);
    ASSERT_TRUE(be.ok()) << be.status();
    be_ = std::move(*be);
    auto s = KvStore::Open(be_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  int64_t Put(std::string_view k, std::string_view v, uint64_t index = 0, int64_t lease = 0) {
    auto tx = store_->Write(index);
    tx->Put(k, v, lease);
    tx->End();
    return store_->Rev();
  }
  int64_t Delete(std::string_view k, std::string_view end = "", uint64_t index = 0) {
    auto tx = store_->Write(index);
    int64_t n = tx->DeleteRange(k, end);
    tx->End();
    return n;
  }

  std::filesystem::path dir_;
  std::unique_ptr<backend::Backend> be_;
  std::unique_ptr<KvStore> store_;
};

}  // namespace etcdpp::mvcc
