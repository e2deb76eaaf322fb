#pragma once
// CoalescingLease: the proxy's Lease service. LeaseKeepAlive streams are coalesced (etcd's
// proxy shares its client's lessor among them): the client streams that send the same metadata
// up (auth token, "hasleader") share one LeaseKeepAlive stream to the current member, and for
// each lease at most one keep-alive is in flight on it. A client's keep-alive is answered by
// the member's answer to a keep-alive sent after it arrived: when one is in flight already, the
// clients that ask meanwhile wait for the next, sent when the first is answered. So 1,000
// clients keeping one lease alive cost the member one stream and at most one keep-alive per
// round trip, and no client is told a lease was renewed before it asked.
//
// The member's stream ending UNAVAILABLE moves the group to the next member after a short
// back-off and sends the waiting keep-alives again; any other end ("no leader" on hasleader
// streams, an invalid token) ends the group's client streams with the member's status. A client
// stream whose unsent answers pass kMaxQueuedBytes is ended CANCELLED alone.
//
// LeaseGrant, LeaseRevoke, LeaseTimeToLive and LeaseLeases are forwarded one to one; with
// --namespace, LeaseTimeToLive lists only the keys of the namespace, as clientv3/namespace does.
//
// Threads and locks as watch_coalescer.h: gRPC's callback threads and its alarm; the groups'
// map, then a group, then a client stream's queue.

#include <cstddef>
#include <memory>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/grpcproxy/key_namespace.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

class CoalescingLease : public etcdserverpb::Lease::CallbackService {
 public:
  static constexpr size_t kMaxQueuedBytes = 16 << 20;

  // ns: --namespace (null: none). up, observer and ns outlive the service.
  CoalescingLease(Upstream* up, const CallObserver* observer, const KeyNamespace* ns);
  // Ends the member streams and waits for them: call after the gRPC server has shut down.
  ~CoalescingLease() override;

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseGrantRequest* req,
                                       etcdserverpb::LeaseGrantResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseRevokeRequest* req,
                                        etcdserverpb::LeaseRevokeResponse* resp) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                            const etcdserverpb::LeaseTimeToLiveRequest* req,
                                            etcdserverpb::LeaseTimeToLiveResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseLeasesRequest* req,
                                        etcdserverpb::LeaseLeasesResponse* resp) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;  // shared: each group and member stream keeps it alive
};

}  // namespace etcdpp::server::grpcproxy
