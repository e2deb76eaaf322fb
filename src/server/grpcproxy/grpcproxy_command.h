#pragma once
// `etcdpp grpc-proxy ...`: etcd 3.4's `etcd grpc-proxy` command (etcdmain/grpc_proxy.go), a
// cobra command group with one command, `start`. Its flags, defaults, help texts and start-up
// messages are etcd's; `start` runs the proxy (proxy_server.h) until SIGINT or SIGTERM.
//
// Every flag of etcd 3.4's `grpc-proxy start` is honoured or refused by name at start-up
// (docs/compatibility.md lists the refused ones: --enable-pprof and
// --experimental-leasing-prefix). --discovery-srv finds the members in DNS SRV records
// (server/srv_endpoints.h); --experimental-serializable-ordering keeps KV answers from going
// back in revision (RevisionOrder, unary_forward.h).

#include <string>
#include <vector>

namespace etcdpp::server::grpcproxy {

// Runs `etcdpp grpc-proxy <args>` (args: the words after "grpc-proxy"); returns the exit code.
// SIGINT and SIGTERM must be blocked in every thread (main does so); start takes them.
int RunGrpcProxyCommand(const std::vector<std::string>& args);

}  // namespace etcdpp::server::grpcproxy
