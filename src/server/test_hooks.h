#pragma once
// Test-only switches of the server binary. They exist only in a build configured with
// -DETCDPP_TEST_HOOKS=ON (scripts/test.sh builds so for the process tests); a release build (the
// default, and scripts/quickstart.sh) compiles them out and reads no environment variable, so no
// deployment can turn them on by accident.
//
// With the hooks built in, a launched member reads:
//   ETCDPP_TEST_PEER_FAULTS=1  drop peer traffic listed in <data-dir>/peer-faults (transport.h)
//   ETCDPP_NO_CLIENT_HTTP=1    serve gRPC only on client ports (the HTTP sharer's measurement
//                              baseline, docs/design/client_port.md)

namespace etcdpp::server {

struct TestHooks {
  bool peer_faults = false;
  bool no_client_http = false;
};

// True when this binary was built with the hooks.
bool TestHooksBuiltIn();
// The switches this process was started with; all false without the hooks. Read once.
const TestHooks& GetTestHooks();

}  // namespace etcdpp::server
