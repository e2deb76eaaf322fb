#pragma once
// CoalescingWatch: the proxy's Watch service, which shares one member watch among every client
// watch on the same key range (etcd's proxy/grpcproxy watch*.go: "broadcasts").
//
// Clients are grouped by the metadata their streams carry up (auth token, "hasleader"): one
// group has one Watch stream to the current member, and its broadcasts are watches on that
// stream, each created with prev_kv and progress_notify whatever its clients asked. A client
// watch joins a broadcast of its range that can serve it without a gap:
//   - one still waiting for its created answer, when both start at the current revision (start
//     0) or the client starts at or after the broadcast's start revision;
//   - one already created, when the client starts at the current revision (it gets a created
//     answer at the last revision the broadcast heard of) or at or after the next revision the
//     broadcast has still to deliver;
// else a new broadcast is created for it. Each client watch keeps its own next revision,
// filters, prev_kv, progress_notify and fragment setting: an event goes to it once, in order,
// whatever broadcast carries it. Two broadcasts of one range that have delivered the same
// revisions merge (the one just advanced gives its clients to the other and its member watch
// is cancelled), so history watches join the current ones once they catch up.
//
// The member's answers to a broadcast go to its clients with their own watch ids (the proxy
// numbers each client stream's watches as a member does, and honours a requested watch_id). A
// created-and-canceled or canceled answer (compaction, permission) ends the client watches as
// it would have ended them. Progress requests go up and the answer, which the member sends once
// its watches are synced, goes to every client stream that asked before it was sent.
//
// The member's stream failing UNAVAILABLE (member down, connection lost) moves the group to the
// next member (Upstream::Failed) after a short back-off and re-creates each broadcast from its
// next revision: clients see no error and lose or repeat no event (a compacted next revision
// ends their watches with compact_revision, as a direct resume would). Any other end ("no
// leader" for hasleader streams, an invalid auth token) ends the group's client streams with
// the member's status. A client stream whose unsent answers pass kMaxQueuedBytes (a reader too
// slow for its watches) is ended CANCELLED alone, as etcd's proxy cancels a stream it cannot
// post to; the others never wait for it.
//
// Threads: gRPC's callback threads and its alarm for the back-off; no thread blocks. Locks:
// Impl::mu_ (the groups) before Group::mu_ (everything of one group) before a client stream's
// queue lock.

#include <cstddef>
#include <memory>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "server/grpcproxy/key_namespace.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

// The proxy's watch metrics (proxy_metrics.h). etcd's: watchers_coalescing_total (client
// watches beyond the first of each broadcast), events_coalescing_total (events delivered
// beyond the first client of a broadcast); etcdpp's: the member watches the proxy holds.
struct WatchMetrics {
  prometheus::Gauge* watchers_coalescing = nullptr;
  prometheus::Counter* events_coalescing = nullptr;
  prometheus::Gauge* upstream_watchers = nullptr;
};

class CoalescingWatch : public etcdserverpb::Watch::CallbackService {
 public:
  // Unsent answers beyond which a client stream is ended (a reader that does not keep up).
  static constexpr size_t kMaxQueuedBytes = 64 << 20;

  // ns: --namespace (null: none). up, observer, the metrics and ns outlive the service.
  CoalescingWatch(Upstream* up, const CallObserver* observer, WatchMetrics metrics,
                  const KeyNamespace* ns);
  // Ends the member streams and waits for them: call after the gRPC server has shut down (no
  // client stream is left).
  ~CoalescingWatch() override;

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* ctx) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;  // shared: each group and member stream keeps it alive
};

}  // namespace etcdpp::server::grpcproxy
