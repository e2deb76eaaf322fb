#pragma once
// EchoServer: an in-process gRPC server on 127.0.0.1 whose KV.Range answers an empty response
// at once. `etcdpp-bench grpc-rtt` runs the range workload against it: the loopback gRPC round
// trip, the part of a put 1/1 latency that is not the disk (bench/compare's floor).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"

namespace etcdpp::bench {

class EchoServer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EchoServer>> Start();
  ~EchoServer();
  const std::string& address() const { return address_; }

 private:
  EchoServer() = default;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace etcdpp::bench
