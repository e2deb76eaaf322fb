#pragma once
// The v2 store's operation counters, served at /v2/stats/store (etcd 3.4 v2store/stats.go).

#include <cstdint>
#include <string>

namespace etcdpp::server::v2store {

struct Stats {
  uint64_t gets_success = 0;
  uint64_t gets_fail = 0;
  uint64_t sets_success = 0;
  uint64_t sets_fail = 0;
  uint64_t delete_success = 0;
  uint64_t delete_fail = 0;
  uint64_t update_success = 0;
  uint64_t update_fail = 0;
  uint64_t create_success = 0;
  uint64_t create_fail = 0;
  uint64_t compare_and_swap_success = 0;
  uint64_t compare_and_swap_fail = 0;
  uint64_t compare_and_delete_success = 0;
  uint64_t compare_and_delete_fail = 0;
  uint64_t expire_count = 0;

  bool operator==(const Stats&) const = default;
};

// The JSON etcd serves, in its field order, with `watchers` (the registered watchers now).
std::string StatsToJson(const Stats& s, uint64_t watchers);

}  // namespace etcdpp::server::v2store
