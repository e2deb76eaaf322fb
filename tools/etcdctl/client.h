#pragma once
// The connection of one etcdctl run: the global flags (and their ETCDCTL_* forms) turned into
// a gRPC channel to the first endpoint that answers, TLS and auth as clientv3 sets them up,
// and per-call contexts carrying the command timeout and the auth token. A call that finds its
// endpoint unavailable moves on to the next one, as clientv3's balancer does.

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "command.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "v3electionpb/v3election.grpc.pb.h"
#include "v3lockpb/v3lock.grpc.pb.h"

namespace etcdpp::etcdctl {

enum class Format { kSimple, kJson, kFields, kTable, kProtobuf };

struct Output {
  Format format = Format::kSimple;
  bool hex = false;
};

struct ClientConfig {
  std::vector<std::string> endpoints;
  absl::Duration dial_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(5);
  absl::Duration keepalive_time = absl::Seconds(2);
  absl::Duration keepalive_timeout = absl::Seconds(6);
  bool insecure_transport = true;
  bool skip_verify = false;
  std::string cacert, cert, key;
  std::string user, password;  // user empty: no auth
  bool debug = false;
  // A TCP connection of this client's own; gRPC otherwise shares one among the channels to
  // the same endpoint (check perf and datascale connect many clients, as stock etcdctl does).
  bool own_connection = false;
};

// A failure to report: etcdctl's exit code and the text after "Error: ".
struct CtlError {
  int code = kExitError;
  std::string message;
};

// The output format of -w/--write-out and --hex (initDisplayFromCmd); false with *err set
// ("unsupported output format", ExitBadFeature) for an unknown format.
bool OutputFromFlags(const FlagSet& fs, Output* out, CtlError* err);

// Applies ETCDCTL_* to the global flags, prints them under --debug, and reads the
// configuration and the output format (clientConfigFromCmd and initDisplayFromCmd). The
// endpoints come from --discovery-srv when it is set and finds any (srv_discovery.h), else from
// --endpoints; `discover` false skips discovery (endpoint health reads --endpoints only).
absl::StatusOr<ClientConfig> ConfigFromFlags(Invocation& inv, Output* out, CtlError* err,
                                             bool discover = true);

// etcdctl's text for a failed call: etcd's own messages as they are ("etcdserver: ..."), a
// deadline as "context deadline exceeded", anything else as Go's gRPC error string.
std::string ErrorText(const grpc::Status& s);

class Client {
 public:
  // Connects to the first endpoint that answers within the dial timeout, authenticates when
  // a user is configured. On failure fills *err and returns null.
  static std::unique_ptr<Client> Connect(const ClientConfig& cfg, CtlError* err);
  // Connects to exactly one endpoint (endpoint health/status/hashkv, --cluster forms).
  static std::unique_ptr<Client> ConnectOne(const ClientConfig& cfg, const std::string& ep,
                                            CtlError* err);

  // A context with the command timeout (or none when timeout is zero) and the token.
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout) const;
  std::unique_ptr<grpc::ClientContext> NewContext() const {
    return NewContext(cfg_.command_timeout);
  }

  // Runs call(ctx) and, while it fails with UNAVAILABLE, again on the next endpoint; an auth
  // token the server no longer takes (invalid, or older than the auth store) is fetched anew
  // and the call repeated, as clientv3's retry interceptor does.
  // Each failed attempt is logged as clientv3's retry interceptor logs it (LogFailedAttempt).
  // `timeout` bounds each attempt (zero: no bound, etcdctl's context.TODO()).
  template <typename F>
  grpc::Status Unary(F&& call) {
    return Unary(std::forward<F>(call), cfg_.command_timeout);
  }
  template <typename F>
  grpc::Status Unary(F&& call, absl::Duration timeout) {
    grpc::Status st;
    size_t failovers = 0;
    int auth_retries = 0;
    for (int attempt = 0;; ++attempt) {
      auto ctx = NewContext(timeout);
      st = call(ctx.get());
      LogFailedAttempt(st, attempt);
      if (st.error_code() == grpc::StatusCode::UNAVAILABLE && ++failovers < cfg_.endpoints.size() &&
          Failover()) {
        continue;
      }
      if (IsStaleAuth(st) && ++auth_retries <= kMaxAuthRetries && RefreshToken()) continue;
      return st;
    }
  }

  // For a unary call made without Unary: logs its failure as clientv3's retry interceptor
  // does (attempt 0) and returns it.
  grpc::Status Logged(grpc::Status st) const {
    LogFailedAttempt(st, 0);
    return st;
  }
  // clientv3's warn line for a failed attempt of a unary call, on stderr: {"level":"warn",
  // "ts":..., "caller":"clientv3/retry_interceptor.go:62", "msg":"retrying of unary invoker
  // failed", "target":"endpoint://client-<uuid>/<endpoint>", "attempt":N, "error":"rpc error:
  // code = ... desc = ..."}. Scripts and etcd's e2e tests look for it. Nothing when st is OK.
  void LogFailedAttempt(const grpc::Status& st, int attempt) const;
  // Go's gRPC error string: "rpc error: code = <Code> desc = <message>" (a client-side deadline
  // or cancel as Go's context errors).
  static std::string GoErrorText(const grpc::Status& s);

  etcdserverpb::KV::Stub& kv() { return *kv_; }
  etcdserverpb::Watch::Stub& watch() { return *watch_; }
  etcdserverpb::Lease::Stub& lease() { return *lease_; }
  etcdserverpb::Cluster::Stub& cluster() { return *cluster_; }
  etcdserverpb::Maintenance::Stub& maintenance() { return *maintenance_; }
  etcdserverpb::Auth::Stub& auth() { return *auth_; }
  v3lockpb::Lock::Stub& lock() { return *lock_; }
  v3electionpb::Election::Stub& election() { return *election_; }
  const std::string& endpoint() const { return cfg_.endpoints[current_]; }
  const ClientConfig& config() const { return cfg_; }

 private:
  explicit Client(ClientConfig cfg) : cfg_(std::move(cfg)) {}
  std::shared_ptr<grpc::Channel> NewChannel(size_t index) const;
  // Connects to the candidates (endpoint indexes) at once and adopts the first ready one.
  bool Dial(const std::vector<size_t>& order, absl::Time deadline);
  void Adopt(size_t index, std::shared_ptr<grpc::Channel> channel);
  bool Failover();
  grpc::Status Authenticate();
  bool IsStaleAuth(const grpc::Status& st) const;
  // A new token (none needed with certificate identity); false if authentication fails.
  bool RefreshToken();

  static constexpr int kMaxAuthRetries = 10;
  static std::string NewClientUuid();

  ClientConfig cfg_;
  const std::string client_uuid_ = NewClientUuid();  // the "client-<uuid>" of the log's target
  size_t current_ = 0;
  std::shared_ptr<grpc::ChannelCredentials> creds_;  // shared with every channel gRPC makes
  std::shared_ptr<grpc::Channel> channel_;           // shared: gRPC's channel type
  std::string token_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster_;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance_;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth_;
  std::unique_ptr<v3lockpb::Lock::Stub> lock_;
  std::unique_ptr<v3electionpb::Election::Stub> election_;
};

// Connects for inv (flags, env, output format): the common start of every command that talks
// to the cluster. Returns null and fills *code after printing the error.
std::unique_ptr<Client> MustClient(Invocation& inv, Output* out, int* code);

// How CallOnce reports a failed call: the exit code, an optional "what (err)" wrapping, and
// whether the call has the command timeout (etcdctl gives some calls none: context.TODO()).
struct CallOpts {
  int fail_code = kExitError;
  absl::string_view what;  // "failed to grant lease" -> "failed to grant lease (<err>)"
  bool timeout = true;
};

// The start of most commands: connects for inv, makes one unary call (moving to the next
// endpoint while the current one is unavailable) and on failure prints etcdctl's error and
// returns false with *code set.
template <typename Stub, typename Req, typename Resp>
bool CallOnce(Invocation& inv, Output* out, Stub& (Client::*stub)(),
              grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Req&, Resp*), const Req& req,
              Resp* resp, int* code, const CallOpts& opts = {}) {
  std::unique_ptr<Client> c = MustClient(inv, out, code);
  if (c == nullptr) return false;
  grpc::Status st;
  st = c->Unary([&](grpc::ClientContext* ctx) { return (((*c).*stub)().*rpc)(ctx, req, resp); },
                opts.timeout ? c->config().command_timeout : absl::ZeroDuration());
  if (st.ok()) return true;
  std::string msg = ErrorText(st);
  if (!opts.what.empty()) msg = absl::StrCat(opts.what, " (", msg, ")");
  *code = Fail(opts.fail_code, msg);
  return false;
}

}  // namespace etcdpp::etcdctl
