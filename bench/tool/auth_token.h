#pragma once
// Auth for the bench's connections (--user NAME:PASSWORD, etcd's benchmark flag): every
// connection logs in with Auth.Authenticate before the load, as each clientv3 client of etcd's
// tool does, and every request carries the token as gRPC metadata `token`.
//
// ConnToken is one connection's token, shared by the clients on that connection (they run on
// several queue threads). A client keeps its own copy in a TokenCopy and re-reads the shared
// one only when its generation moved, so a request costs one relaxed atomic load plus the
// metadata insert. When a request fails with "invalid auth token" or "revision of auth store
// is old", the client calls Refresh with the generation it used: the first caller logs in
// again, the others find a newer token and just take it (clientv3 retries such a request once
// after a new login; so does UnaryClient).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/tool/options.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "src/common/mutex.h"

namespace etcdpp::bench {

class ConnToken {
 public:
  // `channel` must outlive this object.
  ConnToken(std::shared_ptr<grpc::Channel> channel, std::string user, std::string password)
      : channel_(std::move(channel)), user_(std::move(user)), password_(std::move(password)) {}

  // Logs in (a blocking Authenticate); the error names the failure, never the password.
  [[nodiscard]] absl::Status Login();
  // Logs in again unless the token already moved past `used_generation`. Blocks the caller's
  // thread for one round trip (and the server's bcrypt): a rare path.
  [[nodiscard]] absl::Status Refresh(uint64_t used_generation);

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // The current token and its generation.
  void Get(std::string* token, uint64_t* generation) const;

 private:
  [[nodiscard]] absl::Status LoginLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const std::shared_ptr<grpc::Channel> channel_;
  const std::string user_, password_;

  // Held across a login, so that one login runs at a time per connection. A leaf lock.
  mutable Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{0};  // bumped under mu_ after token_ changes
};

// One client's cached copy of its connection's token (nullptr conn: auth off, no metadata).
class TokenCopy {
 public:
  explicit TokenCopy(ConnToken* conn) : conn_(conn) {}
  // Adds the `token` metadata to a fresh context.
  void Attach(grpc::ClientContext* ctx) {
    if (conn_ == nullptr) return;
    if (conn_->generation() != generation_) conn_->Get(&token_, &generation_);
    ctx->AddMetadata("token", token_);
  }
  // True when `st` is a token error worth one retry, after logging in again.
  bool RefreshOn(const grpc::Status& st);

 private:
  ConnToken* const conn_;  // not owned; outlives this (the Driver owns it)
  std::string token_;
  uint64_t generation_ = 0;
};

// One ConnToken per channel, each logged in, when opts.user is set; none otherwise.
[[nodiscard]] absl::StatusOr<std::vector<std::unique_ptr<ConnToken>>> LoginAll(
    const Options& opts, const std::vector<std::shared_ptr<grpc::Channel>>& channels);

// etcd's errors after which clientv3 logs in again and retries.
bool IsTokenError(const grpc::Status& st);

}  // namespace etcdpp::bench
