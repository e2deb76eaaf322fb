#include "harness/binaries.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

// Set by tests/CMakeLists.txt to $<TARGET_FILE:etcdpp> when that target exists.
#ifndef ETCDPP_DEFAULT_BIN
#define ETCDPP_DEFAULT_BIN ""
#endif

namespace etcdpp::testing {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

}  // namespace

std::string BinaryUnderTest() { return EnvOr("ETCDPP_BIN", ETCDPP_DEFAULT_BIN); }

std::string ReferenceBinary() { return EnvOr("ETCD_BIN", "/usr/bin/etcd"); }

std::vector<ServerFlavor> AllServerFlavors() {
  return {{"etcdpp", BinaryUnderTest()}, {"etcd", ReferenceBinary()}};
}

ServerFlavor FlavorByName(const std::string& name) {
  for (const ServerFlavor& f : AllServerFlavors()) {
    if (f.name == name) return f;
  }
  return {name, ""};
}

std::string WhyNotRunnable(const ServerFlavor& flavor) {
  if (flavor.binary.empty()) {
    return absl::StrCat("no ", flavor.name,
                        " binary configured (no `etcdpp` CMake target; set ETCDPP_BIN)");
  }
  if (access(flavor.binary.c_str(), X_OK) != 0) {
    return absl::StrCat(flavor.name, " binary is not an executable file: ", flavor.binary);
  }
  return "";
}

}  // namespace etcdpp::testing
