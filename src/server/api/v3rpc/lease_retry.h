#pragma once
// Lease calls that need the leader, retried through a leader change (etcd's LeaseRenew and
// LeaseTimeToLive: wait for a leader, forward, and loop until the request timeout). While the
// member has no leader, the leader is unreachable, or the new leader has not taken over the
// leases yet, an attempt fails with "etcdserver: no leader"; the call is tried again every
// kLeaseRetryInterval until the request timeout has passed since the first attempt. Then it
// fails as etcd's does: "no leader" if there still is none, else "request timed out".
//
// Retries are scheduled with grpc::Alarm (no thread is held while waiting). The caller must
// keep whatever `attempt` and `done` touch alive until `done` ran, and a gRPC reactor must not
// be finished while a retry is pending (done always runs exactly once).

#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/alarm.h"

namespace etcdpp::server {

inline constexpr std::chrono::milliseconds kLeaseRetryInterval{100};

// True for the error an attempt fails with while leadership is changing.
bool IsNoLeader(const absl::Status& st);

// What a call that never found a serving leader answers at its timeout.
[[nodiscard]] absl::Status LeaseRetryTimeoutError(bool leader_known);

template <typename T>
class LeaderRetry {
 public:
  using Done = std::function<void(absl::StatusOr<T>)>;
  using Attempt = std::function<void(Done)>;
  struct Hooks {
    std::function<bool()> cancelled;     // the client went away: stop retrying
    std::function<bool()> leader_known;  // for the error at the timeout
  };

  // Runs attempt now and retries it as described above; done gets the first answer that is not
  // "no leader", or the timeout's error.
  static void Run(Attempt attempt, std::chrono::milliseconds timeout, Hooks hooks, Done done) {
    auto* r = new LeaderRetry(std::move(attempt), std::chrono::steady_clock::now() + timeout,
                              std::move(hooks), std::move(done));
    r->Try();
  }

 private:
  LeaderRetry(Attempt attempt, std::chrono::steady_clock::time_point deadline, Hooks hooks,
              Done done)
      : attempt_(std::move(attempt)),
        deadline_(deadline),
        hooks_(std::move(hooks)),
        done_(std::move(done)) {}

  void Try() {
    attempt_([this](absl::StatusOr<T> result) { OnResult(std::move(result)); });
  }

  void OnResult(absl::StatusOr<T> result) {
    const bool again = !result.ok() && IsNoLeader(result.status()) &&
                       !(hooks_.cancelled && hooks_.cancelled()) &&
                       std::chrono::steady_clock::now() + kLeaseRetryInterval < deadline_;
    if (!again) {
      if (!result.ok() && IsNoLeader(result.status())) {
        result = LeaseRetryTimeoutError(hooks_.leader_known && hooks_.leader_known());
      }
      Done done = std::move(done_);
      delete this;
      done(std::move(result));
      return;
    }
    // A fresh alarm per retry. Destroying the previous one inside its own callback is safe:
    // gRPC holds a reference to the alarm until its callback returned.
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(std::chrono::system_clock::now() + kLeaseRetryInterval, [this](bool) { Try(); });
  }

  const Attempt attempt_;
  const std::chrono::steady_clock::time_point deadline_;
  const Hooks hooks_;
  Done done_;
  std::unique_ptr<grpc::Alarm> alarm_;
};

}  // namespace etcdpp::server
