#include "commands.h"
namespace etcdpp::etcdctl {
void AddConcurrencyCommands(Command&) {}
}  // namespace etcdpp::etcdctl
