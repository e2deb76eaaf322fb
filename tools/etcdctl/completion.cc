#include "commands.h"
namespace etcdpp::etcdctl {
void AddCompletionCommand(Command&) {}
}  // namespace etcdpp::etcdctl
