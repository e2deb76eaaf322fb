#pragma once
// `etcdpp gateway ...`: etcd 3.4's `etcd gateway` command (etcdmain/gateway.go), a cobra
// command group with one command, `start`. The help and usage texts, flag errors, start-up
// checks and their messages are etcd's (the root is named "etcd" there too, so the texts are
// the same byte for byte); `start` runs the TCP proxy (tcp_proxy.h) on the calling thread until
// SIGINT or SIGTERM.
//
// --discovery-srv finds the members in DNS SRV records (server/srv_endpoints.h): when it
// finds any that pass its checks, their targets replace --endpoints.

#include <string>
#include <vector>

namespace etcdpp::server::gateway {

// Runs `etcdpp gateway <args>` (args: the words after "gateway"); returns the exit code.
// SIGINT and SIGTERM must be blocked in every thread (main does so); start takes them.
int RunGatewayCommand(const std::vector<std::string>& args);

}  // namespace etcdpp::server::gateway
