#pragma once
// systemd's readiness protocol (sd_notify(3)), without libsystemd: when NOTIFY_SOCKET is set
// (a Type=notify unit), a state string such as "READY=1" or "STOPPING=1" is sent as one
// datagram to that AF_UNIX socket (a path, or an abstract name when it starts with '@').
// Without NOTIFY_SOCKET nothing is sent.

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace etcdpp {

// Sends `payload` as one datagram to the AF_UNIX socket at `path` (a file path, or an abstract
// name when it starts with '@'). The error names the socket.
[[nodiscard]] absl::Status SendUnixDatagram(std::string_view path, std::string_view payload);

// Sends `state` to $NOTIFY_SOCKET. OK (and nothing sent) when the variable is unset; an error
// naming the socket when it cannot be reached.
[[nodiscard]] absl::Status SdNotify(const std::string& state);

}  // namespace etcdpp
