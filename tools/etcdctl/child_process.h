#pragma once
// Running the command of an exec form (`watch key -- cmd`, `lock name cmd`): the child gets
// etcdctl's stdout/stderr, the environment plus the given variables, and no blocked signals.

#include <string>
#include <utility>
#include <vector>

namespace etcdpp::etcdctl {

// Runs argv to completion. Returns "" on exit status 0, else Go's exec error text
// ("exit status 3", "signal: killed"-style "signal: 9").
std::string RunChild(const std::vector<std::string>& argv,
                     const std::vector<std::pair<std::string, std::string>>& env);

}  // namespace etcdpp::etcdctl
