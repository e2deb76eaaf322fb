#pragma once
// Upstream: the proxy's connections to the members (etcd's clientv3.Client inside
// `etcd grpc-proxy start`). One gRPC channel per --endpoints entry, each with its own TLS
// name check; calls go to the current channel, and the proxy moves on to the next member when
// the current one is unreachable (its channel in TRANSIENT_FAILURE) or a call on it ended
// UNAVAILABLE. Channels reconnect on their own (backoff capped at a few seconds), so a member
// that comes back is used again when the proxy rotates to it.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace etcdpp::server::grpcproxy {

// The TLS flags towards the members (--cacert, --cert, --key, --insecure-skip-tls-verify).
struct MemberTls {
  std::string cacert;
  std::string cert;
  std::string key;
  bool insecure_skip_verify = false;
  bool Enabled() const {
    return !cacert.empty() || !cert.empty() || !key.empty() || insecure_skip_verify;
  }
};

// Channel credentials for the members. As etcd's proxy (transport.TLSInfo{EmptyCN: true}), a
// client certificate must have an empty Common Name: the members would otherwise take every
// forwarded call as that user ("cert has non empty Common Name (<cn>)").
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MemberCredentials(
    const MemberTls& tls);

class Upstream {
 public:
  struct Options {
    std::vector<std::string> endpoints;  // "host:port", "http(s)://host:port", "unix://path"
    // The TLS flags' credentials (null: none given). As clientv3 reads an endpoint's scheme:
    // http:// is plaintext whatever is given; https:// uses these, or TLS checked against the
    // system's roots without them; no scheme uses these, or plaintext without them.
    std::shared_ptr<grpc::ChannelCredentials> creds;
    int max_send_bytes = 0;  // 0: gRPC's default
    int max_recv_bytes = 0;
  };
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Upstream>> Open(Options opts);

  // The channel for a new call: the current one unless it is failing, else the next that is
  // not (all failing: the current one, and the call fails fast).
  std::shared_ptr<grpc::Channel> Pick();
  // A call on `ch` ended UNAVAILABLE (or, `why`, its member is otherwise unfit): the next call
  // goes to the next member.
  void Failed(const std::shared_ptr<grpc::Channel>& ch,
              const char* why = "member unavailable, moving to the next endpoint");
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  // The endpoint of the current channel (logs and tests).
  std::string current_endpoint();

 private:
  Upstream() = default;

  // Constant after Open.
  std::vector<std::string> endpoints_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;  // shared: gRPC's channel type

  Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
};

// The gRPC target of an endpoint as clientv3 reads it: the scheme is dropped ("unix://p" is
// gRPC's "unix:p").
std::string ChannelTarget(const std::string& endpoint);

}  // namespace etcdpp::server::grpcproxy
