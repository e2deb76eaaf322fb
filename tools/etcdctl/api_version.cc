#include "api_version.h"

#include <iostream>

#include "command.h"
#include "commands.h"

namespace etcdpp::etcdctl {
namespace {

// ctlv2.Start: the v2 command set (ls, mkdir, set, get, ... over the v2 keys API). Not built
// yet: every invocation is refused by name, with ExitBadFeature.
int RunV2(const std::vector<std::string>&) {
  return Fail(kExitBadFeature,
              "the v2 API (ETCDCTL_API=2) is not supported by this etcdctl yet; use ETCDCTL_API=3");
}

}  // namespace

int RunWithApiVersion(const std::string& api, const std::vector<std::string>& args) {
  if (api.empty() || api == "3") {
    std::unique_ptr<Command> root = NewRootCommand();
    return Execute(*root, args);
  }
  if (api == "2") return RunV2(args);
  std::cerr << "unsupported API version " << api << "\n";
  return kExitError;
}

}  // namespace etcdpp::etcdctl
