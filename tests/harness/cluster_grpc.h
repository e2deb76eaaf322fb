#pragma once
// gRPC questions about a Cluster (header-only, as grpc_util.h: include it only from targets
// that link etcdpp_grpc).

#include <chrono>
#include <thread>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "harness/cluster.h"
#include "harness/grpc_util.h"

namespace etcdpp::testing {

// The index of the running member that says it is the leader (Maintenance.Status), polled
// every 100 ms up to `timeout`; -1 if none did.
inline int FindLeader(Cluster& c, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  do {
    for (int i = 0; i < c.size(); ++i) {
      if (!c.member(i).Running()) continue;
      auto stub = etcdserverpb::Maintenance::NewStub(NewChannel(c.member(i).Endpoint()));
      etcdserverpb::StatusRequest req;
      etcdserverpb::StatusResponse resp;
      auto ctx = ContextWithDeadline(std::chrono::milliseconds(1000));
      if (stub->Status(ctx.get(), req, &resp).ok() && resp.leader() != 0 &&
          resp.leader() == resp.header().member_id()) {
        return i;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < end);
  return -1;
}

}  // namespace etcdpp::testing
