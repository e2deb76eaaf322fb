#include "server/metrics/metrics.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/mutex.h"
#include "common/version.h"
#include "prometheus/text_serializer.h"
#include "server/metrics/process_collector.h"

namespace etcdpp::server {
namespace {
namespace pm = ::prometheus;

pm::Histogram::BucketBoundaries Exponential(double start, double factor, int count) {
  pm::Histogram::BucketBoundaries b;
  for (int i = 0; i < count; ++i, start *= factor) b.push_back(start);
  return b;
}

pm::Gauge* NewGauge(pm::Registry& r, const std::string& name, const std::string& help,
                    const pm::Labels& l = {}) {
  return &pm::BuildGauge().Name(name).Help(help).Register(r).Add(l);
}

pm::Counter* NewCounter(pm::Registry& r, const std::string& name, const std::string& help) {
  return &pm::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

pm::Histogram* NewHistogram(pm::Registry& r, const std::string& name, const std::string& help,
                            pm::Histogram::BucketBoundaries buckets) {
  return &pm::BuildHistogram().Name(name).Help(help).Register(r).Add({}, std::move(buckets));
}

}  // namespace

Metrics& Metrics::Get() {
  static Metrics* m = new Metrics();
  return *m;
}

Metrics::Metrics() : registry_(std::make_shared<pm::Registry>()) {
  RegisterServer();
  RegisterStorage();
  RegisterNetwork();
  RegisterGrpc();
}

// etcdserver/metrics.go, etcdhttp, membership, lease and auth metrics.
void Metrics::RegisterServer() {
  pm::Registry& r = *registry_;
  has_leader_ = NewGauge(r, "etcd_server_has_leader",
                         "Whether or not a leader exists. 1 is existence, 0 is not.");
  is_leader_ = NewGauge(r, "etcd_server_is_leader",
                        "Whether or not this member is a leader. 1 if is, 0 otherwise.");
  is_learner_ = NewGauge(r, "etcd_server_is_learner",
                         "Whether or not this member is a learner. 1 if is, 0 otherwise.");
  leader_changes_ =
      NewCounter(r, "etcd_server_leader_changes_seen_total", "The number of leader changes seen.");
  learner_promote_failures_ =
      NewVector(r, pm::BuildCounter(), "etcd_server_learner_promote_failures",
                "The total number of failed learner promotions (likely learner not ready) while "
                "this member is leader.");
  learner_promote_successes_ =
      NewCounter(r, "etcd_server_learner_promote_successes",
                 "The total number of successful learner promotions while this member is leader.");
  heartbeat_send_failures_ = NewCounter(
      r, "etcd_server_heartbeat_send_failures_total",
      "The total number of leader heartbeat send failures (likely overloaded from slow disk).");
  slow_applies_ =
      NewCounter(r, "etcd_server_slow_apply_total",
                 "The total number of slow apply requests (likely overloaded from slow disk).");
  snapshot_apply_in_progress_ =
      NewGauge(r, "etcd_server_snapshot_apply_in_progress_total",
               "1 if the server is applying the incoming snapshot. 0 if none.");
  proposals_committed_ = NewGauge(r, "etcd_server_proposals_committed_total",
                                  "The total number of consensus proposals committed.");
  proposals_applied_ = NewGauge(r, "etcd_server_proposals_applied_total",
                                "The total number of consensus proposals applied.");
  proposals_pending_ = NewGauge(r, "etcd_server_proposals_pending",
                                "The current number of pending proposals to commit.");
  proposals_failed_ = NewCounter(r, "etcd_server_proposals_failed_total",
                                 "The total number of failed proposals seen.");
  slow_read_indexes_ = NewCounter(r, "etcd_server_slow_read_indexes_total",
                                  "The total number of pending read indexes not in sync with "
                                  "leader's or timed out read index requests.");
  read_indexes_failed_ = NewCounter(r, "etcd_server_read_indexes_failed_total",
                                    "The total number of failed read indexes seen.");
  lease_expired_ = NewCounter(r, "etcd_debugging_server_lease_expired_total",
                              "The total number of expired leases.");
  quota_bytes_ = NewGauge(r, "etcd_server_quota_backend_bytes",
                          "Current backend storage quota size in bytes.");
  NewGauge(r, "etcd_server_version",
           "Which version is running. 1 for 'server_version' label with current version.",
           {{"server_version", kApiVersion}})
      ->Set(1);
  server_id_ = NewVector(
      r, pm::BuildGauge(), "etcd_server_id",
      "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.");
  NewGauge(r, "etcd_cluster_version",
           "Which version is running. 1 for 'cluster_version' label with current cluster version",
           {{"cluster_version", kApiMinorVersion}})
      ->Set(1);
  health_success_ =
      NewCounter(r, "etcd_server_health_success", "The total number of successful health checks");
  health_failures_ =
      NewCounter(r, "etcd_server_health_failures", "The total number of failed health checks");
  // etcd has no alarm metric; etcdpp counts the raised alarms by type.
  auto& alarms =
      pm::BuildGauge().Name("etcdpp_server_alarms").Help("Raised alarms, by type.").Register(r);
  nospace_alarms_ = &alarms.Add({{"alarm_type", "NOSPACE"}});
  corrupt_alarms_ = &alarms.Add({{"alarm_type", "CORRUPT"}});
  lease_granted_ =
      NewCounter(r, "etcd_debugging_lease_granted_total", "The total number of granted leases.");
  lease_revoked_ =
      NewCounter(r, "etcd_debugging_lease_revoked_total", "The total number of revoked leases.");
  lease_renewed_ = NewCounter(r, "etcd_debugging_lease_renewed_total",
                              "The number of renewed leases seen by the leader.");
  lease_ttl_ = NewHistogram(r, "etcd_debugging_lease_ttl_total",
                            "Bucketed histogram of lease TTLs.", Exponential(1, 2, 24));
  auth_revision_ =
      NewGauge(r, "etcd_debugging_auth_revision", "The current revision of auth store.");
  scrapes_in_flight_ = NewGauge(r, "promhttp_metric_handler_requests_in_flight",
                                "Current number of scrapes being served.");
  auto* scrapes = NewVector(r, pm::BuildCounter(), "promhttp_metric_handler_requests_total",
                            "Total number of scrapes by HTTP status code.");
  scrapes_ok_ = &scrapes->Add({{"code", "200"}});
  scrapes->Add({{"code", "500"}});  // (a scrape here cannot fail; as client_golang, at zero)
  scrapes->Add({{"code", "503"}});
}

// wal, backend and mvcc metrics.
void Metrics::RegisterStorage() {
  pm::Registry& r = *registry_;
  wal_fsync_ =
      NewHistogram(r, "etcd_disk_wal_fsync_duration_seconds",
                   "The latency distributions of fsync called by WAL.", Exponential(0.001, 2, 14));
  wal_write_bytes_ =
      NewGauge(r, "etcd_disk_wal_write_bytes_total", "Total number of bytes written in WAL.");
  backend_commit_ = NewHistogram(r, "etcd_disk_backend_commit_duration_seconds",
                                 "The latency distributions of commit called by backend.",
                                 Exponential(0.001, 2, 14));
  defrag_ =
      NewHistogram(r, "etcd_disk_backend_defrag_duration_seconds",
                   "The latency distribution of backend defragmentation.", Exponential(.1, 2, 13));
  backend_snapshot_ =
      NewHistogram(r, "etcd_disk_backend_snapshot_duration_seconds",
                   "The latency distribution of backend snapshots.", Exponential(.01, 2, 17));
  defrag_inflight_ =
      NewGauge(r, "etcd_disk_defrag_inflight",
               "Whether or not defrag is active on the member. 1 means active, 0 means not.");
  const char* const kPrefix[2] = {"etcd_mvcc_", "etcd_debugging_mvcc_"};
  for (int i = 0; i < 2; ++i) {
    const std::string p = kPrefix[i];
    db_size_[i] = NewGauge(r, p + "db_total_size_in_bytes",
                           "Total size of the underlying database physically allocated in bytes.");
    range_[i] = NewCounter(r, p + "range_total", "Total number of ranges seen by this member.");
    put_[i] = NewCounter(r, p + "put_total", "Total number of puts seen by this member.");
    delete_[i] = NewCounter(r, p + "delete_total", "Total number of deletes seen by this member.");
    txn_[i] = NewCounter(r, p + "txn_total", "Total number of txns seen by this member.");
  }
  db_in_use_ = NewGauge(r, "etcd_mvcc_db_total_size_in_use_in_bytes",
                        "Total size of the underlying database logically in use in bytes.");
  db_open_read_txns_ = NewGauge(r, "etcd_mvcc_db_open_read_transactions",
                                "The number of currently open read transactions");
  hash_ =
      NewHistogram(r, "etcd_mvcc_hash_duration_seconds",
                   "The latency distribution of storage hash operation.", Exponential(.01, 2, 15));
  hash_rev_ = NewHistogram(r, "etcd_mvcc_hash_rev_duration_seconds",
                           "The latency distribution of storage hash by revision operation.",
                           Exponential(.01, 2, 15));
  keys_ = NewGauge(r, "etcd_debugging_mvcc_keys_total", "Total number of keys.");
  put_size_ = NewGauge(r, "etcd_debugging_mvcc_total_put_size_in_bytes",
                       "The total size of put kv pairs seen by this member.");
  current_rev_ =
      NewGauge(r, "etcd_debugging_mvcc_current_revision", "The current revision of store.");
  compact_rev_ = NewGauge(r, "etcd_debugging_mvcc_compact_revision",
                          "The revision of the last compaction in store.");
  index_compaction_pause_ = NewHistogram(
      r, "etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds",
      "Bucketed histogram of index compaction pause duration.", Exponential(0.5, 2, 14));
  db_compaction_pause_ =
      NewHistogram(r, "etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds",
                   "Bucketed histogram of db compaction pause duration.", Exponential(1, 2, 13));
  db_compaction_total_ =
      NewHistogram(r, "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds",
                   "Bucketed histogram of db compaction total duration.", Exponential(100, 2, 14));
  db_compaction_keys_ = NewCounter(r, "etcd_debugging_mvcc_db_compaction_keys_total",
                                   "Total number of db keys compacted.");
  watch_streams_ =
      NewGauge(r, "etcd_debugging_mvcc_watch_stream_total", "Total number of watch streams.");
  watchers_ = NewGauge(r, "etcd_debugging_mvcc_watcher_total", "Total number of watchers.");
  slow_watchers_ = NewGauge(r, "etcd_debugging_mvcc_slow_watcher_total",
                            "Total number of unsynced slow watchers.");
  pending_events_ = NewGauge(r, "etcd_debugging_mvcc_pending_events_total",
                             "Total number of pending events to be sent.");
  events_ = NewCounter(r, "etcd_debugging_mvcc_events_total",
                       "Total number of events sent by this member.");
}

// rafthttp's peer metrics.
void Metrics::RegisterNetwork() {
  pm::Registry& r = *registry_;
  active_peers = NewVector(r, pm::BuildGauge(), "etcd_network_active_peers",
                           "The current number of active peer connections.");
  disconnected_peers = NewVector(r, pm::BuildCounter(), "etcd_network_disconnected_peers_total",
                                 "The total number of disconnected peers.");
  peer_sent_bytes = NewVector(r, pm::BuildCounter(), "etcd_network_peer_sent_bytes_total",
                              "The total number of bytes sent to peers.");
  peer_received_bytes = NewVector(r, pm::BuildCounter(), "etcd_network_peer_received_bytes_total",
                                  "The total number of bytes received from peers.");
  peer_sent_failures = NewVector(r, pm::BuildCounter(), "etcd_network_peer_sent_failures_total",
                                 "The total number of send failures from peers.");
  peer_received_failures =
      NewVector(r, pm::BuildCounter(), "etcd_network_peer_received_failures_total",
                "The total number of receive failures from peers.");
  peer_rtt = NewVector(r, pm::BuildHistogram(), "etcd_network_peer_round_trip_time_seconds",
                       "Round-Trip-Time histogram between peers");
}

std::string Metrics::Render(const MetricsSample& s) {
  scrapes_in_flight_->Increment();
  has_leader_->Set(s.has_leader ? 1 : 0);
  is_leader_->Set(s.is_leader ? 1 : 0);
  is_learner_->Set(s.is_learner ? 1 : 0);
  proposals_committed_->Set(static_cast<double>(s.committed_index));
  proposals_applied_->Set(static_cast<double>(s.applied_index));
  for (pm::Gauge* g : db_size_) g->Set(static_cast<double>(s.db_size));
  db_in_use_->Set(static_cast<double>(s.db_size_in_use));
  db_open_read_txns_->Set(static_cast<double>(s.db_open_read_txns));
  wal_write_bytes_->Set(static_cast<double>(s.wal_bytes_written));
  keys_->Set(static_cast<double>(s.keys));
  current_rev_->Set(static_cast<double>(s.current_revision));
  compact_rev_->Set(static_cast<double>(s.compact_revision));
  auth_revision_->Set(static_cast<double>(s.auth_revision));
  quota_bytes_->Set(static_cast<double>(s.quota_bytes));
  nospace_alarms_->Set(s.nospace_alarms);
  corrupt_alarms_->Set(s.corrupt_alarms);
  watch_streams_->Set(static_cast<double>(s.watch_streams));
  watchers_->Set(static_cast<double>(s.watchers));
  slow_watchers_->Set(static_cast<double>(s.slow_watchers));
  pending_events_->Set(static_cast<double>(s.pending_events));
  {
    // A counter the watch streams keep: catch up with it (scrapes may run concurrently).
    static Mutex mu;
    MutexLock l(&mu);
    const double behind = static_cast<double>(s.events_sent) - events_->Value();
    if (behind > 0) events_->Increment(behind);
  }
  std::vector<pm::MetricFamily> families = registry_->Collect();
  std::vector<pm::MetricFamily> process = ProcessCollector().Collect();
  families.insert(families.end(), process.begin(), process.end());
  std::string text = pm::TextSerializer().Serialize(families);
  scrapes_in_flight_->Decrement();
  scrapes_ok_->Increment();
  return text;
}

void Metrics::MvccTxnEnd(const MvccTally& t) {
  Both(range_, t.ranges);
  Both(put_, t.puts);
  Both(delete_, t.deletes);
  if (t.ranges + t.puts + t.deletes > 1) Both(txn_, 1);
  put_size_->Increment(static_cast<double>(t.put_size));
}

void Metrics::LeaseGranted(int64_t ttl) {
  lease_granted_->Increment();
  lease_ttl_->Observe(static_cast<double>(ttl));
}

void Metrics::LearnerPromoteFailed(const std::string& reason) {
  learner_promote_failures_->Add({{"Reason", reason}}).Increment();
}

void Metrics::DefragDone(absl::Duration d) {
  Observe(defrag_, d);
  defrag_inflight_->Set(0);
}

void Metrics::IndexCompactionPause(absl::Duration d) {
  index_compaction_pause_->Observe(absl::ToDoubleMilliseconds(d));
}

void Metrics::DbCompactionPause(absl::Duration d) {
  db_compaction_pause_->Observe(absl::ToDoubleMilliseconds(d));
}

void Metrics::DbCompactionDone(absl::Duration d, size_t keys) {
  db_compaction_total_->Observe(absl::ToDoubleMilliseconds(d));
  db_compaction_keys_->Increment(static_cast<double>(keys));
}

void Metrics::StreamFailure(const char* type, const char* api) {
  stream_failures->Add({{"Type", type}, {"API", api}}).Increment();
}

void Metrics::SetServerId(uint64_t id) {
  server_id_->Add({{"server_id", absl::StrFormat("%x", id)}}).Set(1);
}

void Metrics::PeerSent(uint64_t to, size_t bytes) {
  peer_sent_bytes->Add({{"To", absl::StrFormat("%x", to)}}).Increment(static_cast<double>(bytes));
}

void Metrics::PeerReceived(uint64_t from, size_t bytes) {
  peer_received_bytes->Add({{"From", absl::StrFormat("%x", from)}})
      .Increment(static_cast<double>(bytes));
}

void Metrics::PeerSendFailed(uint64_t to) {
  peer_sent_failures->Add({{"To", absl::StrFormat("%x", to)}}).Increment();
}

void Metrics::PeerReceiveFailed(uint64_t from) {
  peer_received_failures->Add({{"From", absl::StrFormat("%x", from)}}).Increment();
}

// etcd's peerStatus: the gauge goes up when the peer becomes active, down (and the counter up)
// when it goes inactive.
void Metrics::PeerActive(uint64_t local, uint64_t remote, bool active) {
  const pm::Labels l{{"Local", absl::StrFormat("%x", local)},
                     {"Remote", absl::StrFormat("%x", remote)}};
  if (active) {
    active_peers->Add(l).Increment();
  } else {
    active_peers->Add(l).Decrement();
    disconnected_peers->Add(l).Increment();
  }
}

// rafthttp's rttSec buckets: 0.1 ms doubling, 16 of them.
void Metrics::PeerRtt(uint64_t to, absl::Duration d) {
  static const pm::Histogram::BucketBoundaries kBuckets = Exponential(0.0001, 2, 16);
  peer_rtt->Add({{"To", absl::StrFormat("%x", to)}}, kBuckets).Observe(absl::ToDoubleSeconds(d));
}

}  // namespace etcdpp::server
