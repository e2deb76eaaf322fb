#pragma once
// etcd's simple tokens: "<16 random letters>.<raft index>", registered on every member when the
// Authenticate entry at that index is applied, valid while used at least once per TTL
// (--auth-token-ttl, default 300 s), dropped when auth is disabled or the user is deleted or
// changes password. Any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace etcdpp::auth {

class SimpleTokens {
 public:
  explicit SimpleTokens(absl::Duration ttl)
      : ttl_(ttl <= absl::ZeroDuration() ? absl::Seconds(300) : ttl) {}

  // 16 random letters (the part before the dot).
  static std::string NewPrefix();
  // The raft index of a well-formed token ("prefix.index"), or nullopt.
  static std::optional<uint64_t> IndexOf(std::string_view token);

  void Assign(std::string token, std::string user, absl::Time now);
  // The user of a live token (and its TTL starts again), or nullopt.
  std::optional<std::string> Lookup(std::string_view token, absl::Time now);
  void InvalidateUser(std::string_view user);
  void Clear();
  size_t SizeForTest();

 private:
  struct Entry {
    std::string user;
    absl::Time deadline;
  };
  void SweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration ttl_;
  Mutex mu_;
  absl::flat_hash_map<std::string, Entry> tokens_ ABSL_GUARDED_BY(mu_);
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = 64;  // sweep expired tokens at this size
};

}  // namespace etcdpp::auth
