#pragma once
// Free TCP ports on 127.0.0.1 for test servers.

#include "absl/status/statusor.h"

namespace etcdpp::testing {

// A port the kernel hands out for a bind to 127.0.0.1:0, released before returning. Ports
// handed out by this process are not handed out again (the kernel may reuse a released one
// before the server binds it). Another process may still take it in between; tests accept
// that small race, as etcd's own integration tests do.
[[nodiscard]] absl::StatusOr<int> PickFreePort();

// True if something accepts TCP connections on 127.0.0.1:port right now.
bool PortAcceptsConnections(int port);

}  // namespace etcdpp::testing
