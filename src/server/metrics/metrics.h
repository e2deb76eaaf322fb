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

// A labelled family registered in `r` (its series appear as they are first used).
template <typename Builder>
auto* NewVector(prometheus::Registry& r, Builder b, const std::string& name,
                const std::string& help) {
  return &b.Name(name).Help(help).Register(r);
}

// State sampled at scrape time.
struct MetricsSample {
  bool has_leader = false;
  bool is_leader = false;
  bool is_learner = false;
  uint64_t committed_index = 0;
  uint64_t applied_index = 0;
  int64_t db_size = 0;
  int64_t db_size_in_use = 0;
  int64_t db_open_read_txns = 0;
  uint64_t wal_bytes_written = 0;
  int64_t keys = 0;
  int64_t current_revision = 0;
  int64_t compact_revision = 0;
  int64_t auth_revision = 0;
  int64_t quota_bytes = 0;  // the backend quota in force (0: none)
  int nospace_alarms = 0;   // raised alarms, by type
  int corrupt_alarms = 0;
  // The watchable store (watch::WatchableStore::StreamCounters and its counts).
  int64_t watch_streams = 0;
  int64_t watchers = 0;
  int64_t slow_watchers = 0;
  int64_t pending_events = 0;
  int64_t events_sent = 0;  // since start (a counter)
};

// What one mvcc transaction did, as etcd's metricsTxnRead / metricsTxnWrite count it: each
// Range (compares and a put's or delete's prev_kv read included), Put and DeleteRange call.
struct MvccTally {
  int64_t ranges = 0;
  int64_t puts = 0;
  int64_t deletes = 0;
  size_t put_size = 0;  // keys and values put
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
  // An mvcc transaction ended (etcd counts under etcd_mvcc_* and etcd_debugging_mvcc_*, and
  // a "txn" is a transaction of more than one operation).
  void MvccTxnEnd(const MvccTally& t);
  void Health(bool ok) { (ok ? health_success_ : health_failures_)->Increment(); }
  // Leases: granted (with its TTL in seconds) / revoked as applied, renewed by the leader,
  // expired (the leader revokes a lease whose TTL ran out).
  void LeaseGranted(int64_t ttl);
  void LeaseRevoked() { lease_revoked_->Increment(); }
  void LeaseRenewed() { lease_renewed_->Increment(); }
  void LeaseExpired() { lease_expired_->Increment(); }
  // The leader sent its heartbeats late (the node loop was held up, likely by a slow disk).
  void HeartbeatSendFailure() { heartbeat_send_failures_->Increment(); }
  // An entry took longer than etcd's warnApplyDuration (100 ms) to apply.
  void SlowApply() { slow_applies_->Increment(); }
  void SnapshotApplying(bool on) { snapshot_apply_in_progress_->Set(on ? 1 : 0); }
  void SlowReadIndex() { slow_read_indexes_->Increment(); }
  void ReadIndexFailed() { read_indexes_failed_->Increment(); }
  void LearnerPromoted() { learner_promote_successes_->Increment(); }
  void LearnerPromoteFailed(const std::string& reason);
  // Defragmentation, the Snapshot RPC's export, Hash and HashKV, compactions.
  void DefragStarted() { defrag_inflight_->Set(1); }
  void DefragDone(absl::Duration d);
  void BackendSnapshot(absl::Duration d) { Observe(backend_snapshot_, d); }
  void Hash(absl::Duration d) { Observe(hash_, d); }
  void HashRev(absl::Duration d) { Observe(hash_rev_, d); }
  void IndexCompactionPause(absl::Duration d);
  void DbCompactionPause(absl::Duration d);
  void DbCompactionDone(absl::Duration d, size_t keys);
  // Peer traffic, labelled with the peer's id in hex (To / From) as etcd's rafthttp.
  void PeerSent(uint64_t to, size_t bytes);
  void PeerReceived(uint64_t from, size_t bytes);
  void PeerSendFailed(uint64_t to);
  void PeerReceiveFailed(uint64_t from);
  void PeerRtt(uint64_t to, absl::Duration d);
  // A client stream (api "watch" or "lease-keepalive") failed to send ("send") or receive
  // ("receive") for another reason than the client going away.
  void StreamFailure(const char* type, const char* api);
  // A peer's stream came up (active) or went down (a disconnection).
  void PeerActive(uint64_t local, uint64_t remote, bool active);
  // The member's id, for etcd_server_id (set once it is known).
  void SetServerId(uint64_t id);

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
  void RegisterServer();
  void RegisterStorage();
  void RegisterNetwork();
  void RegisterGrpc();
  static void Both(prometheus::Counter* (&c)[2], int64_t n) {
    c[0]->Increment(static_cast<double>(n));
    c[1]->Increment(static_cast<double>(n));
  }
  static void Observe(prometheus::Histogram* h, absl::Duration d) {
    h->Observe(absl::ToDoubleSeconds(d));
  }
  friend class GrpcMetricsInterceptor;

  std::shared_ptr<prometheus::Registry> registry_;
  // etcd_server_*.
  prometheus::Gauge* has_leader_;
  prometheus::Gauge* is_leader_;
  prometheus::Gauge* is_learner_;
  prometheus::Counter* leader_changes_;
  prometheus::Gauge* proposals_committed_;
  prometheus::Gauge* proposals_applied_;
  prometheus::Gauge* proposals_pending_;
  prometheus::Counter* proposals_failed_;
  prometheus::Counter* heartbeat_send_failures_;
  prometheus::Counter* slow_applies_;
  prometheus::Gauge* snapshot_apply_in_progress_;
  prometheus::Counter* slow_read_indexes_;
  prometheus::Counter* read_indexes_failed_;
  prometheus::Counter* learner_promote_successes_;
  prometheus::Family<prometheus::Counter>* learner_promote_failures_;
  prometheus::Family<prometheus::Gauge>* server_id_;
  prometheus::Gauge* quota_bytes_;
  prometheus::Gauge* nospace_alarms_;
  prometheus::Gauge* corrupt_alarms_;
  prometheus::Counter* health_success_;
  prometheus::Counter* health_failures_;
  prometheus::Counter* lease_expired_;
  // etcd_debugging_lease_*.
  prometheus::Counter* lease_granted_;
  prometheus::Counter* lease_revoked_;
  prometheus::Counter* lease_renewed_;
  prometheus::Histogram* lease_ttl_;
  prometheus::Gauge* auth_revision_;
  // etcd_disk_*.
  prometheus::Histogram* wal_fsync_;
  prometheus::Gauge* wal_write_bytes_;  // a gauge in etcd
  prometheus::Histogram* backend_commit_;
  prometheus::Histogram* defrag_;
  prometheus::Gauge* defrag_inflight_;
  prometheus::Histogram* backend_snapshot_;
  // etcd_mvcc_* and etcd_debugging_mvcc_* ([0] etcd_mvcc_*, [1] etcd_debugging_mvcc_*).
  prometheus::Gauge* db_size_[2];
  prometheus::Gauge* db_in_use_;
  prometheus::Gauge* db_open_read_txns_;
  prometheus::Gauge* keys_;
  prometheus::Counter* range_[2];
  prometheus::Counter* put_[2];
  prometheus::Counter* delete_[2];
  prometheus::Counter* txn_[2];
  prometheus::Gauge* put_size_;
  prometheus::Histogram* hash_;
  prometheus::Histogram* hash_rev_;
  prometheus::Gauge* current_rev_;
  prometheus::Gauge* compact_rev_;
  prometheus::Histogram* index_compaction_pause_;
  prometheus::Histogram* db_compaction_pause_;
  prometheus::Histogram* db_compaction_total_;
  prometheus::Counter* db_compaction_keys_;
  prometheus::Gauge* watch_streams_;
  prometheus::Gauge* watchers_;
  prometheus::Gauge* slow_watchers_;
  prometheus::Gauge* pending_events_;
  prometheus::Counter* events_;
  // /metrics itself (client_golang's promhttp handler metrics).
  prometheus::Gauge* scrapes_in_flight_;
  prometheus::Counter* scrapes_ok_;

 public:
  // Per-peer families (the peer transport adds children with the To/From label).
  prometheus::Family<prometheus::Counter>* peer_sent_bytes;
  prometheus::Family<prometheus::Counter>* peer_received_bytes;
  prometheus::Family<prometheus::Counter>* peer_sent_failures;
  prometheus::Family<prometheus::Counter>* peer_received_failures;
  prometheus::Family<prometheus::Histogram>* peer_rtt;
  // Labels Local, Remote.
  prometheus::Family<prometheus::Gauge>* active_peers;
  prometheus::Family<prometheus::Counter>* disconnected_peers;
  // etcd_network_client_grpc_{sent,received}_bytes_total: message bytes of client gRPC calls.
  prometheus::Counter* client_grpc_sent_bytes;
  prometheus::Counter* client_grpc_received_bytes;
  prometheus::Family<prometheus::Counter>* stream_failures;  // labels Type, API
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
