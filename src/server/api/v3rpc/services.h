#pragma once
// The gRPC services of the client port. Each handler validates, then either serves locally
// (serializable reads), waits for ReadIndex (linearizable reads) or proposes through Raft
// (writes); no handler thread ever blocks on disk or consensus.

#include <memory>
#include <vector>

#include "grpcpp/impl/service_type.h"
#include "server/api/v3rpc/views.h"

namespace etcdpp::server {

// The client-port services of etcdserverpb: KV, Watch, Lease, Cluster and Maintenance (Auth is
// registered with gRPC's defaults, which answer UNIMPLEMENTED). The Election and Lock services
// sit above them (api/v3election/); the owner adds those.
std::vector<std::unique_ptr<grpc::Service>> MakeClientServices(Views views);

}  // namespace etcdpp::server
