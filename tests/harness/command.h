#pragma once
// Running a stock tool (etcdctl) from a test and reading its JSON output. Header-only.

#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"

namespace etcdpp::testing {

// Runs `cmd` through the shell; returns its stdout and stderr, sets *rc to its exit status (-1
// when it did not exit normally).
inline std::string RunCommand(const std::string& cmd, int* rc) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int st = pclose(f);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// The integer after "\"name\":" in a flat JSON object, or -1.
inline int64_t JsonInt(const std::string& json, const std::string& name) {
  size_t at = json.find("\"" + name + "\":");
  if (at == std::string::npos) return -1;
  at += name.size() + 3;
  int64_t v = -1;
  return absl::SimpleAtoi(json.substr(at, json.find_first_of(",}", at) - at), &v) ? v : -1;
}

}  // namespace etcdpp::testing
