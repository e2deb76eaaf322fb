#include "commands.h"
namespace etcdpp::etcdctl {
void AddWatchCommand(Command&) {}
}  // namespace etcdpp::etcdctl
