#pragma once
// Metrics: the member's Prometheus metrics under etcd's names, types, labels and buckets
// (etcd's etcdserver/metrics.go, mvcc/metrics.go, wal/metrics.go, go-grpc-prometheus), served
// as text on /metrics. One process-wide registry, as etcd's default one; other modules call
// the few hooks below at the place the event happens; gauges of state (leader, indexes, db
// size, keys) are sampled when scraped.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace etcdpp::server {

// State sampled at scrape time.
struct MetricsSample {
  bool has_leader = false;
  bool is_leader = false;
  uint64_t committed_index = 0;
  uint64_t applied_index = 0;
  int64_t db_size = 0;
  int64_t db_size_in_use = 0;
  int64_t keys = 0;
  int64_t quota_bytes = 0;  // the backend quota in force (0: none)
  int nospace_alarms = 0;   // raised alarms, by type
  int corrupt_alarms = 0;
};

class Metrics {
 public:
  static Metrics& Get();

  // Event hooks.
  void LeaderChanged() { leader_changes_->Increment(); }
  void ProposalFailed() { proposals_failed_->Increment(); }
  void ProposalStarted() { proposals_pending_->Increment(); }
  void ProposalDone() { proposals_pending_->Decrement(); }
  void WalFsync(absl::Duration d) { wal_fsync_->Observe(absl::ToDoubleSeconds(d)); }
  void BackendCommit(absl::Duration d) { backend_commit_->Observe(absl::ToDoubleSeconds(d)); }
  void MvccRange() { range_->Increment(); }
  void MvccPut() { put_->Increment(); }
  void MvccDelete() { delete_->Increment(); }
  void MvccTxn() { txn_->Increment(); }
  void Health(bool ok) { (ok ? health_success_ : health_failures_)->Increment(); }
  // Peer traffic, labelled with the peer's id in hex (To / From) as etcd's rafthttp.
  void PeerSent(uint64_t to, size_t bytes);
  void PeerReceived(uint64_t from, size_t bytes);
  void PeerRtt(uint64_t to, absl::Duration d);

  // The text exposition (format 0.0.4) with the sampled state.
  std::string Render(const MetricsSample& s);
  // go-grpc-prometheus's grpc_server_* counters, for ServerBuilder::experimental().
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> GrpcInterceptorFactory();
  // --metrics extensive: go-grpc-prometheus's EnableHandlingTimeHistogram (adds
  // grpc_server_handling_seconds). Call before the gRPC server starts; idempotent.
  void EnableHandlingTimeHistogram();
  // go-grpc-prometheus's Register: every method of the named service ("etcdserverpb.KV") gets
  // its grpc_server_* series at zero (handled: one per status code) before any call.
  void PreRegisterGrpcService(const std::string& full_name);

  prometheus::Registry& registry() { return *registry_; }

 private:
  Metrics();
  friend class GrpcMetricsInterceptor;

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* has_leader_;
  prometheus::Gauge* is_leader_;
  prometheus::Counter* leader_changes_;
  prometheus::Gauge* proposals_committed_;
  prometheus::Gauge* proposals_applied_;
  prometheus::Gauge* proposals_pending_;
  prometheus::Counter* proposals_failed_;
  prometheus::Histogram* wal_fsync_;
  prometheus::Histogram* backend_commit_;
  prometheus::Gauge* db_size_;
  prometheus::Gauge* db_in_use_;
  prometheus::Gauge* keys_;
  prometheus::Gauge* quota_bytes_;
  prometheus::Gauge* nospace_alarms_;
  prometheus::Gauge* corrupt_alarms_;
  prometheus::Counter* range_;
  prometheus::Counter* put_;
  prometheus::Counter* delete_;
  prometheus::Counter* txn_;
  prometheus::Counter* health_success_;
  prometheus::Counter* health_failures_;

 public:
  // Per-peer families (the peer transport adds children with the To/From label).
  prometheus::Family<prometheus::Counter>* peer_sent_bytes;
  prometheus::Family<prometheus::Counter>* peer_received_bytes;
  prometheus::Family<prometheus::Histogram>* peer_rtt;
  // grpc_server_*: labels grpc_type, grpc_service, grpc_method (+ grpc_code for handled).
  prometheus::Family<prometheus::Counter>* grpc_started;
  prometheus::Family<prometheus::Counter>* grpc_handled;
  prometheus::Family<prometheus::Counter>* grpc_msg_received;
  prometheus::Family<prometheus::Counter>* grpc_msg_sent;
  prometheus::Family<prometheus::Histogram>* grpc_handling_seconds = nullptr;  // extensive only
  // etcd_server_client_requests_total: labels type (unary, stream), client_api_version (the
  // client-api-version metadata clientv3 sends, "unknown" without it).
  prometheus::Family<prometheus::Counter>* client_requests;
};

}  // namespace etcdpp::server
