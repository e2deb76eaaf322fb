#include "commands.h"
namespace etcdpp::etcdctl {
void AddLeaseCommands(Command&) {}
}  // namespace etcdpp::etcdctl
