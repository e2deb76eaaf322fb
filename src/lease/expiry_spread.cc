#include "lease/expiry_spread.h"

namespace etcdpp::lease {

namespace {
constexpr int64_t kSecondUs = 1000000;
}  // namespace

std::vector<size_t> SpreadExpiries(std::vector<Expiry>& leases, int64_t revoke_rate) {
  std::vector<size_t> moved;
  if (leases.empty() || static_cast<int64_t>(leases.size()) < revoke_rate) return moved;
  // Fewer expiries per second than the revocation rate, so that piled-up leases leave room.
  const int64_t target = 3 * revoke_rate / 4;
  int64_t base = leases[0].expiry_us;  // the start of the current window
  int64_t next = base + kSecondUs;     // past it, a new window starts
  int64_t expires = 0;                 // leases due in the current window
  for (size_t i = 0; i < leases.size(); ++i) {
    const int64_t at = leases[i].expiry_us;
    if (at > next) {
      base = at;
      next = base + kSecondUs;
      expires = 1;
      continue;
    }
    if (++expires <= target) continue;
    // Spread over as many seconds as the window's count needs; a lease already n seconds
    // past the window start moves that much less.
    const int64_t delay = static_cast<int64_t>(static_cast<double>(kSecondUs) *
                                               (static_cast<double>(expires) / target)) -
                          (at - base);
    next = base + delay;
    leases[i].expiry_us = at + delay;
    moved.push_back(i);
  }
  return moved;
}

}  // namespace etcdpp::lease
