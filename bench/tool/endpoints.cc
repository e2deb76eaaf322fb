#include "bench/tool/endpoints.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/tool/tls_credentials.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace etcdpp::bench {
namespace {

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int id,
                                          std::shared_ptr<grpc::ChannelCredentials> creds) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  args.SetInt("etcdpp.bench.conn", id);
  args.SetMaxReceiveMessageSize(-1);
  // Reconnect quickly: bench/compare dials a server that is still starting (restart time).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  return grpc::CreateCustomChannel(target, std::move(creds), args);
}

auto In(int seconds) { return std::chrono::system_clock::now() + std::chrono::seconds(seconds); }

}  // namespace

std::string HostPort(const std::string& endpoint) {
  for (const char* scheme : {"http://", "https://", "unix://"}) {
    if (absl::StartsWith(endpoint, scheme)) return endpoint.substr(strlen(scheme));
  }
  return endpoint;
}

[[nodiscard]] absl::StatusOr<std::string> FindLeader(
    const std::vector<std::string>& endpoints, std::shared_ptr<grpc::ChannelCredentials> creds) {
  for (const auto& ep : endpoints) {
    auto stub = etcdserverpb::Maintenance::NewStub(
        NewChannel(HostPort(ep), -1, creds ? creds : grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(In(5));
    etcdserverpb::StatusResponse resp;
    grpc::Status st = stub->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
    if (st.ok() && resp.leader() != 0 && resp.leader() == resp.header().member_id()) return ep;
  }
  return absl::UnavailableError("no endpoint reports itself as the leader");
}

[[nodiscard]] absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> Dial(
    const Options& opts) {
  std::vector<std::string> targets;
  if (opts.target_leader) {
    auto leader = FindLeader(opts.endpoints, ChannelCredentials(opts));
    if (!leader.ok()) return leader.status();
    targets.push_back(HostPort(*leader));
  } else {
    for (const auto& ep : opts.endpoints) targets.push_back(HostPort(ep));
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < opts.conns; ++i) {
    channels.push_back(NewChannel(targets[i % targets.size()], i, ChannelCredentials(opts)));
  }
  for (size_t i = 0; i < channels.size(); ++i) {
    auto deadline = std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(opts.dial_timeout_s * 1e3));
    if (!channels[i]->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", targets[i % targets.size()]));
    }
  }
  return channels;
}

}  // namespace etcdpp::bench
