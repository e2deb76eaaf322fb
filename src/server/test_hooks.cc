#include "server/test_hooks.h"

#include <cstdlib>
#include <cstring>

namespace etcdpp::server {
namespace {

#if ETCDPP_TEST_HOOKS
bool Set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

TestHooks Read() {
  TestHooks h;
  h.peer_faults = Set("ETCDPP_TEST_PEER_FAULTS");
  h.no_client_http = Set("ETCDPP_NO_CLIENT_HTTP");
  if (const char* v = std::getenv("ETCDPP_TEST_DEFRAG_PAUSE")) h.defrag_pause = v;
  if (const char* v = std::getenv("ETCDPP_TEST_WATCH_WRITE_DELAY_MS")) {
    h.watch_write_delay_ms = std::atoi(v);
  }
  return h;
}
#else
TestHooks Read() { return TestHooks{}; }
#endif

}  // namespace

bool TestHooksBuiltIn() { return ETCDPP_TEST_HOOKS != 0; }

const TestHooks& GetTestHooks() {
  static const TestHooks hooks = Read();
  return hooks;
}

}  // namespace etcdpp::server
