#include "server/gateway/picker.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace etcdpp::server::gateway {

std::string Endpoint::Address() const {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]:", port)
                                      : absl::StrCat(host, ":", port);
}

Picker::Picker(std::vector<Endpoint> endpoints, std::function<int(int)> rand_below)
    : endpoints_(std::move(endpoints)),
      rand_below_(std::move(rand_below)),
      active_(endpoints_.size(), true) {}

std::optional<size_t> Picker::Pick() {
  // The best priority class among the active endpoints, split by weight.
  std::vector<size_t> weighted;
  std::vector<size_t> unweighted;
  int best = 65536;
  int total_weight = 0;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (!active_[i]) continue;
    const Endpoint& e = endpoints_[i];
    if (e.priority < best) {
      best = e.priority;
      weighted.clear();
      unweighted.clear();
      total_weight = 0;
    }
    if (e.priority != best) continue;
    if (e.weight > 0) {
      weighted.push_back(i);
      total_weight += e.weight;
    } else {
      unweighted.push_back(i);
    }
  }
  if (!weighted.empty()) {
    // RFC 2782: weight-0 records get a very small chance next to weighted ones.
    if (!unweighted.empty() && rand_below_(100) == 1) {
      return unweighted[pick_count_++ % unweighted.size()];
    }
    int choose = rand_below_(total_weight);
    for (size_t i : weighted) {
      choose -= endpoints_[i].weight;
      if (choose <= 0) return i;
    }
  }
  if (!unweighted.empty()) return RoundRobin();
  return std::nullopt;
}

std::optional<size_t> Picker::RoundRobin() {
  for (size_t n = 0; n < endpoints_.size(); ++n) {
    const size_t i = pick_count_++ % endpoints_.size();
    if (active_[i]) return i;
  }
  return std::nullopt;
}

}  // namespace etcdpp::server::gateway
