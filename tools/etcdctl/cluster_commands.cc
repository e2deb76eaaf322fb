#include "commands.h"
namespace etcdpp::etcdctl {
void AddClusterCommands(Command&) {}
}  // namespace etcdpp::etcdctl
