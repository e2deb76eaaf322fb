#include "commands.h"
namespace etcdpp::etcdctl {
void AddMaintenanceCommands(Command&) {}
}  // namespace etcdpp::etcdctl
