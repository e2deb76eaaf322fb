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
//   ETCDPP_TEST_DEFRAG_PAUSE=P each Defragment stops at point P (copied, synced, renamed; see
//                              backend::DefragPoint), logs "defrag paused at P" and sleeps
//                              there for a minute, for a test to SIGKILL the member
//   ETCDPP_TEST_WATCH_WRITE_DELAY_MS=N  each watch stream sleeps N ms right before it starts a
//                              write, widening the race between a write and the stream's end
//                              (tests/compat/watch_cancel_stress.sh)

#include <string>

namespace etcdpp::server {

struct TestHooks {
  bool peer_faults = false;
  bool no_client_http = false;
  std::string defrag_pause;  // "", "copied", "synced" or "renamed"
  int watch_write_delay_ms = 0;
};

// True when this binary was built with the hooks.
bool TestHooksBuiltIn();
// The switches this process was started with; all false without the hooks. Read once.
const TestHooks& GetTestHooks();

}  // namespace etcdpp::server
