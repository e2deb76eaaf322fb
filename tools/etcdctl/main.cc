// etcdctl: etcd's command line client (v3 API), compatible with stock etcdctl 3.4.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "api_version.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // etcdctl drops ETCDCTL_API so that it is not taken for an unknown ETCDCTL_* flag variable.
  const char* api = std::getenv("ETCDCTL_API");
  const std::string version = api == nullptr ? "" : api;
  unsetenv("ETCDCTL_API");
  int code = etcdpp::etcdctl::RunWithApiVersion(version, {argv + 1, argv + argc});
  std::cout.flush();
  std::cerr.flush();
  return code;
}
