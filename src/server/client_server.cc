#include "server/client_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "grpcpp/server_builder.h"
#include "server/api/v3election/election_service.h"
#include "server/api/v3election/lock_service.h"
#include "server/api/v3rpc/kv_service.h"
#include "server/api/v3rpc/services.h"
#include "server/metrics/metrics.h"
#include "server/test_hooks.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

void ClientServer::StopAccepting() {
  if (port) port->StopAccepting();
}

void ClientServer::Shutdown() {
  if (grpc) grpc->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

void ClientServer::Wait() {
  if (grpc) grpc->Wait();
  port.reset();
}

absl::Status StartClientServer(const Config& cfg, Views views, http::MemberView http_view,
                               ClientServer* out) {
  http::ClientPort::Options po;
  po.addresses = http::ClientAddresses(cfg.listen_client_urls);
  po.tls = cfg.client_tls;
  po.max_concurrent_streams = cfg.max_concurrent_streams;
  po.max_request_body = 2 * (cfg.max_request_bytes + kGrpcOverheadBytes);
  po.serve_http = !GetTestHooks().no_client_http;  // measurement baseline only
  for (const Url& u : cfg.listen_metrics_urls) {
    if (u.scheme != "http") {
      return absl::UnimplementedError(
          absl::StrCat("TLS metrics URLs are not supported yet: ", u.ToString()));
    }
    po.metrics_addresses.push_back({u.host, u.port});
    SPDLOG_INFO("listening for metrics on {}", u.ToString());
  }
  if (cfg.metrics == "extensive") Metrics::Get().EnableHandlingTimeHistogram();
  for (const char* svc :
       {"etcdserverpb.KV", "etcdserverpb.Watch", "etcdserverpb.Lease", "etcdserverpb.Cluster",
        "etcdserverpb.Auth", "etcdserverpb.Maintenance"}) {
    Metrics::Get().PreRegisterGrpcService(svc);  // as etcd's grpc_prometheus.Register
  }
  ASSIGN_OR_RETURN(out->port, http::ClientPort::Listen(po));
  grpc::ServerBuilder builder;
  out->port->AddTo(&builder);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(Metrics::Get().GrpcInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(2 * (cfg.max_request_bytes + kGrpcOverheadBytes)));
  builder.SetMaxSendMessageSize(INT32_MAX);
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONCURRENT_STREAMS,
      static_cast<int>(std::min<uint32_t>(cfg.max_concurrent_streams, INT32_MAX)));
  out->services = MakeClientServices(views);
  out->services.push_back(std::make_unique<ElectionService>(views));
  out->services.push_back(std::make_unique<LockService>(views));
  for (auto& svc : out->services) builder.RegisterService(svc.get());
  out->grpc = builder.BuildAndStart();
  if (out->grpc == nullptr) return absl::InternalError("cannot start the gRPC server");
  return out->port->Start(out->grpc.get(), std::move(http_view));
}

}  // namespace etcdpp::server
