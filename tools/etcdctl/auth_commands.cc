#include "commands.h"
namespace etcdpp::etcdctl {
void AddAuthCommands(Command&) {}
}  // namespace etcdpp::etcdctl
