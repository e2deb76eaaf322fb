#include "api_version.h"

#include <iostream>

#include "command.h"
#include "commands.h"
#include "v2/ctl.h"

namespace etcdpp::etcdctl {

int RunWithApiVersion(const std::string& api, const std::vector<std::string>& args) {
  if (api.empty() || api == "3") {
    std::unique_ptr<Command> root = NewRootCommand();
    return Execute(*root, args);
  }
  // ctlv2.Start: the v2 command set over the v2 HTTP API (v2/ctl.h).
  if (api == "2") return v2::RunCtlV2(args);
  std::cerr << "unsupported API version " << api << "\n";
  return kExitError;
}

}  // namespace etcdpp::etcdctl
