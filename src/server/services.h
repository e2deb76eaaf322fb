#pragma once
// The gRPC services of the client port. Each handler validates, then either serves locally
// (serializable reads), waits for ReadIndex (linearizable reads) or proposes through Raft
// (writes); no handler thread ever blocks on disk or consensus.

#include <memory>
#include <vector>

#include "grpcpp/impl/service_type.h"

namespace etcdpp::server {

class EtcdServer;

// Every client-port service: KV, Watch and Maintenance are implemented; Lease, Cluster, Auth,
// Election and Lock are registered with gRPC's defaults, which answer UNIMPLEMENTED.
std::vector<std::unique_ptr<grpc::Service>> MakeClientServices(EtcdServer* server);

}  // namespace etcdpp::server
