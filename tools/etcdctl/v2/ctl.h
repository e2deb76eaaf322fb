#pragma once
// etcdctl's v2 command set (ETCDCTL_API=2, etcdctl/ctlv2 of etcd 3.4) over the v2 HTTP API.

#include <string>
#include <vector>

namespace etcdpp::etcdctl::v2 {

// Runs the v2 command line (argv without the program name); returns the exit code.
int RunCtlV2(const std::vector<std::string>& args);

}  // namespace etcdpp::etcdctl::v2
