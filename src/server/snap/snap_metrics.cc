#include "server/snap/snap_metrics.h"

#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "server/membership/cluster_store.h"
#include "server/metrics/metrics.h"

namespace etcdpp::server::snap_metrics {
namespace {

namespace pm = prometheus;

struct Families {
  pm::Histogram* save_duration;
  pm::Histogram* marshalling;
  pm::Histogram* fsync;
  pm::Histogram* db_save;
  pm::Histogram* db_fsync;
  pm::Counter* save_total;
  pm::Counter* applied;
  pm::Family<pm::Counter>* send_success;
  pm::Family<pm::Counter>* send_failures;
  pm::Family<pm::Gauge>* send_inflights;
  pm::Family<pm::Histogram>* send_duration;
  pm::Family<pm::Counter>* receive_success;
  pm::Family<pm::Counter>* receive_failures;
  pm::Family<pm::Gauge>* receive_inflights;
  pm::Family<pm::Histogram>* receive_duration;
};

// Prometheus' ExponentialBuckets(start, 2, count).
std::vector<double> Doubling(double start, size_t count) {
  std::vector<double> b;
  for (double v = start; b.size() < count; v *= 2) b.push_back(v);
  return b;
}

pm::Histogram* Histogram(pm::Registry& r, const char* name, const char* help, double start,
                         size_t count) {
  return &pm::BuildHistogram().Name(name).Help(help).Register(r).Add({}, Doubling(start, count));
}

Families& Get() {
  static Families* f = [] {
    pm::Registry& r = Metrics::Get().registry();
    auto* out = new Families;
    out->save_duration =
        Histogram(r, "etcd_debugging_snap_save_total_duration_seconds",
                  "The total latency distributions of save called by snapshot.", 0.001, 14);
    out->marshalling =
        Histogram(r, "etcd_debugging_snap_save_marshalling_duration_seconds",
                  "The marshalling cost distributions of save called by snapshot.", 0.001, 14);
    out->fsync = Histogram(r, "etcd_snap_fsync_duration_seconds",
                           "The latency distributions of fsync called by snap.", 0.001, 14);
    out->db_save = Histogram(r, "etcd_snap_db_save_total_duration_seconds",
                             "The total latency distributions of v3 snapshot save", 0.1, 10);
    out->db_fsync = Histogram(r, "etcd_snap_db_fsync_duration_seconds",
                              "The latency distributions of fsyncing .snap.db file", 0.001, 14);
    // Not etcd's: the number of raft snapshots saved (etcd has only the duration histogram).
    out->save_total = &pm::BuildCounter()
                           .Name("etcdpp_snap_save_total")
                           .Help("The total number of raft snapshots saved by this member.")
                           .Register(r)
                           .Add({});
    out->applied = &pm::BuildCounter()
                        .Name("etcdpp_server_snapshot_applied_total")
                        .Help("The total number of snapshots received from the leader and applied.")
                        .Register(r)
                        .Add({});
    out->send_success = NewVector(r, pm::BuildCounter(), "etcd_network_snapshot_send_success",
                                  "Total number of successful snapshot sends");
    out->send_failures = NewVector(r, pm::BuildCounter(), "etcd_network_snapshot_send_failures",
                                   "Total number of snapshot send failures");
    out->send_inflights =
        NewVector(r, pm::BuildGauge(), "etcd_network_snapshot_send_inflights_total",
                  "Total number of inflight snapshot sends");
    out->send_duration =
        NewVector(r, pm::BuildHistogram(), "etcd_network_snapshot_send_total_duration_seconds",
                  "Total latency distributions of v3 snapshot sends");
    out->receive_success = NewVector(r, pm::BuildCounter(), "etcd_network_snapshot_receive_success",
                                     "Total number of successful snapshot receives");
    out->receive_failures =
        NewVector(r, pm::BuildCounter(), "etcd_network_snapshot_receive_failures",
                  "Total number of snapshot receive failures");
    out->receive_inflights =
        NewVector(r, pm::BuildGauge(), "etcd_network_snapshot_receive_inflights_total",
                  "Total number of inflight snapshot receives");
    out->receive_duration =
        NewVector(r, pm::BuildHistogram(), "etcd_network_snapshot_receive_total_duration_seconds",
                  "Total latency distributions of v3 snapshot receives");
    return out;
  }();
  return *f;
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace

void Register() { Get(); }

void Saved(absl::Duration d) {
  Get().save_duration->Observe(Seconds(d));
  Get().save_total->Increment();
}

void Marshalled(absl::Duration d) { Get().marshalling->Observe(Seconds(d)); }

void FileSynced(absl::Duration d) { Get().fsync->Observe(Seconds(d)); }

void DbSaved(absl::Duration d, absl::Duration sync) {
  Get().db_save->Observe(Seconds(d));
  Get().db_fsync->Observe(Seconds(sync));
}

void SendStarted(uint64_t peer) {
  Get().send_inflights->Add({{"To", MemberIdHex(peer)}}).Increment();
}

// rafthttp's snapshot durations: 0.1 s doubling, 10 buckets.
void Sent(uint64_t peer, bool ok, absl::Duration d) {
  pm::Labels l{{"To", MemberIdHex(peer)}};
  Get().send_inflights->Add(l).Decrement();
  (ok ? Get().send_success : Get().send_failures)->Add(l).Increment();
  if (ok) Get().send_duration->Add(l, Doubling(0.1, 10)).Observe(Seconds(d));
}

void ReceiveStarted(uint64_t peer) {
  Get().receive_inflights->Add({{"From", MemberIdHex(peer)}}).Increment();
}

void Received(uint64_t peer, bool ok, absl::Duration d) {
  pm::Labels l{{"From", MemberIdHex(peer)}};
  Get().receive_inflights->Add(l).Decrement();
  (ok ? Get().receive_success : Get().receive_failures)->Add(l).Increment();
  if (ok) Get().receive_duration->Add(l, Doubling(0.1, 10)).Observe(Seconds(d));
}

void Applied() { Get().applied->Increment(); }

}  // namespace etcdpp::server::snap_metrics
