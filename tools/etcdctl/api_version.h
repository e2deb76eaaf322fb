#pragma once
// The command set ETCDCTL_API selects (etcdctl/main.go): unset or "3" the v3 tree; "2" the v2
// tree, the place where the v2 commands go once they exist (refused by name until then);
// anything else "unsupported API version <v>" on stderr and exit 1, as stock etcdctl.

#include <string>
#include <vector>

namespace etcdpp::etcdctl {

// Runs args (argv without the program name) with the command set of `api` (the value of
// ETCDCTL_API, "" when unset) and returns the exit code.
int RunWithApiVersion(const std::string& api, const std::vector<std::string>& args);

}  // namespace etcdpp::etcdctl
