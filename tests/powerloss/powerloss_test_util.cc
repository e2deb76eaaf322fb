#include "powerloss_test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "child_process.h"
#include "common/env.h"
#include "gtest/gtest.h"

namespace etcdpp::powerloss {

TempRoot::TempRoot() {
  std::string tmpl = JoinPath(::testing::TempDir(), "powerloss_XXXXXX");
  char* made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
  base_ = tmpl;
  EXPECT_EQ(::mkdir(root().c_str(), 0755), 0);
}

TempRoot::~TempRoot() {
  if (std::getenv("ETCDPP_TEST_KEEP_TMP") != nullptr) return;
  EXPECT_TRUE(Env::Default()->RemoveAll(base_).ok()) << base_;
}

[[nodiscard]] absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  return out ? absl::OkStatus() : absl::InternalError(absl::StrCat("cannot write ", path));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st;
    bool is_dir = ::stat(JoinPath(dir, n).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    names.insert(is_dir ? n + "/" : n);
  }
  closedir(d);
  return names;
}

[[nodiscard]] absl::StatusOr<std::string> Recover(const std::string& journal, bool torn,
                                                  uint64_t seed) {
  std::vector<std::string> argv = {ETCDPP_POWERLOSS_RECOVER, "--journal", journal};
  if (torn) {
    argv.insert(argv.end(), {"--torn", "--seed", std::to_string(seed)});
  }
  absl::StatusOr<RunResult> r = Run(argv, absl::Seconds(60));
  if (!r.ok()) return r.status();
  if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0) {
    return absl::InternalError(
        absl::StrCat("recovery failed (status ", r->status, "): ", r->output));
  }
  return r->output;
}

}  // namespace etcdpp::powerloss
