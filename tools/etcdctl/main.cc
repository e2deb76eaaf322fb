// etcdctl: etcd's command line client (v3 API), compatible with stock etcdctl 3.4.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "command.h"
#include "commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // The v2 command set would be chosen here (ETCDCTL_API=2) once it exists. etcdctl drops the
  // variable so that it is not taken for an unknown ETCDCTL_* flag variable.
  unsetenv("ETCDCTL_API");
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = etcdpp::etcdctl::NewRootCommand();
  int code = etcdpp::etcdctl::Execute(*root, args);
  std::cout.flush();
  std::cerr.flush();
  return code;
}
