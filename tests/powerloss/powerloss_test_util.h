#pragma once
// Helpers shared by the power-loss process tests: a temp directory holding ROOT and the
// journal (one filesystem, as the shim requires), and small file helpers over POSIX.

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace etcdpp::powerloss {

// mkdtemp under ::testing::TempDir(); removed (recursively) when destroyed.
class TempRoot {
 public:
  TempRoot();
  ~TempRoot();
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  const std::string& base() const { return base_; }
  std::string root() const { return base_ + "/root"; }
  std::string journal() const { return base_ + "/journal"; }
  std::string Path(const std::string& name) const { return root() + "/" + name; }

 private:
  std::string base_;
};

[[nodiscard]] absl::Status WriteFile(const std::string& path, const std::string& contents);
// The contents, or "<missing>".
std::string ReadFile(const std::string& path);
// Names in `dir`, directories with a trailing '/'.
std::set<std::string> List(const std::string& dir);

// Runs etcdpp-powerloss-recover on `journal`; returns its output, or an error with it.
[[nodiscard]] absl::StatusOr<std::string> Recover(const std::string& journal, bool torn = false,
                                                  uint64_t seed = 0);

}  // namespace etcdpp::powerloss
