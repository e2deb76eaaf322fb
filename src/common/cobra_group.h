#pragma once
// etcd's server subcommands `etcd gateway start` and `etcd grpc-proxy start`: a cobra command
// group with one runnable command, `start`. RunStartGroup reproduces cobra's handling with
// etcd's main around it: the group's help for any other words, "Error: <err>" with the usage
// for a bad flag, `start --help`, and (etcdpp's own) a refusal of words after `start`, which
// etcd ignores.

#include <functional>
#include <string>
#include <vector>

#include "common/go_flags.h"

namespace etcdpp {

struct StartGroup {
  std::string name;                               // "gateway": the group's word
  std::string short_help;                         // "gateway related command"
  std::string start_short;                        // "start the gateway"
  std::function<void(FlagSet*)> add_start_flags;  // --help/-h is added by the caller too
  std::function<int(const FlagSet&)> start;       // runs `start`; returns the exit code
};

// Runs `etcd <group.name> <args>`; returns the exit code.
int RunStartGroup(const StartGroup& group, const std::vector<std::string>& args);

}  // namespace etcdpp
