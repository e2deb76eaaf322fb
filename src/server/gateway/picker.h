#pragma once
// The gateway's choice of a member for each new client connection (etcd 3.4
// proxy/tcpproxy/userspace.go, pick): among the active endpoints of the best (lowest) SRV
// priority, one drawn by weight when some have a weight, otherwise round robin. An endpoint
// whose dial failed is inactive until a probe reaches it again (the proxy's job).
//
// Endpoints given by --endpoints have priority 0 and weight 0, so the gateway then takes them
// in turn, skipping the inactive ones. etcd's quirks are kept: a weight-0 endpoint next to
// weighted ones is picked about once in a hundred, round robin counts over all endpoints (not
// only the best priority class).
//
// Pure: no sockets, no clock; the random source comes in. Not thread-safe (the proxy's loop
// owns it).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace etcdpp::server::gateway {

struct Endpoint {
  std::string host;  // as given: a name or an address
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;

  // "host:port" (an IPv6 address in brackets), as the gateway's log lines name endpoints.
  std::string Address() const;
};

class Picker {
 public:
  // rand_below(n) returns a uniform integer in [0, n) (n > 0).
  Picker(std::vector<Endpoint> endpoints, std::function<int(int)> rand_below);

  // The index of the endpoint for the next connection, or nullopt when none is active.
  std::optional<size_t> Pick();

  void Deactivate(size_t i) { active_[i] = false; }
  void Activate(size_t i) { active_[i] = true; }
  bool active(size_t i) const { return active_[i]; }
  size_t size() const { return endpoints_.size(); }
  const Endpoint& endpoint(size_t i) const { return endpoints_[i]; }

 private:
  std::optional<size_t> RoundRobin();

  // Constant after construction.
  const std::vector<Endpoint> endpoints_;
  const std::function<int(int)> rand_below_;

  std::vector<bool> active_;
  size_t pick_count_ = 0;  // round robin position
};

}  // namespace etcdpp::server::gateway
