#pragma once
// Which server binaries the real-process tests run.

#include <string>
#include <vector>

namespace etcdpp::testing {

// The server under test: $ETCDPP_BIN if set, else the path of the `etcdpp` target that CMake
// configured (empty when the build has no such target).
std::string BinaryUnderTest();

// The reference server: $ETCD_BIN if set, else /usr/bin/etcd.
std::string ReferenceBinary();

// A named server flavour for value-parametrized tests: "etcdpp" or "etcd".
struct ServerFlavor {
  std::string name;
  std::string binary;  // may be empty (not configured) or missing on disk
};

// {"etcdpp", BinaryUnderTest()} and {"etcd", ReferenceBinary()}.
std::vector<ServerFlavor> AllServerFlavors();
ServerFlavor FlavorByName(const std::string& name);

// Why a flavour cannot run, or "" if its binary is an executable file.
std::string WhyNotRunnable(const ServerFlavor& flavor);

}  // namespace etcdpp::testing
