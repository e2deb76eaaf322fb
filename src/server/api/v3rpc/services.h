#pragma once
// The gRPC services of the client port. Each handler validates, then either serves locally
// (serializable reads), waits for ReadIndex (linearizable reads) or proposes through Raft
// (writes); no handler thread ever blocks on disk or consensus.

#include <memory>
#include <vector>

#include "grpcpp/impl/service_type.h"
#include "server/api/v3rpc/views.h"

namespace etcdpp::server {

// Every client-port service: KV, Watch and Maintenance are implemented; Lease, Cluster, Auth,
// Election and Lock are registered with gRPC's defaults, which answer UNIMPLEMENTED.
std::vector<std::unique_ptr<grpc::Service>> MakeClientServices(Views views);

}  // namespace etcdpp::server
