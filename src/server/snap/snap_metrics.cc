#include "server/snap/snap_metrics.h"

#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "server/membership/cluster_store.h"
#include "server/metrics/metrics.h"

namespace etcdpp::server::snap_metrics {
namespace {

namespace pm = prometheus;

struct Families {
  pm::Histogram* save_duration;
  pm::Counter* save_total;
  pm::Counter* applied;
  pm::Family<pm::Counter>* send_success;
  pm::Family<pm::Counter>* send_failures;
  pm::Family<pm::Histogram>* send_duration;
  pm::Family<pm::Counter>* receive_success;
  pm::Family<pm::Counter>* receive_failures;
};

std::vector<double> Buckets() {
  std::vector<double> b;
  for (double v = 0.001; b.size() < 14; v *= 2) b.push_back(v);
  return b;
}

Families& Get() {
  static Families* f = [] {
    pm::Registry& r = Metrics::Get().registry();
    auto* out = new Families;
    out->save_duration = &pm::BuildHistogram()
                              .Name("etcd_debugging_snap_save_total_duration_seconds")
                              .Help("The total latency distributions of save called by snapshot.")
                              .Register(r)
                              .Add({}, Buckets());
    out->save_total = &pm::BuildCounter()
                           .Name("etcd_debugging_snap_save_total")
                           .Help("The total number of raft snapshots saved by this member.")
                           .Register(r)
                           .Add({});
    out->applied = &pm::BuildCounter()
                        .Name("etcd_server_snapshot_applied_total")
                        .Help("The total number of snapshots received from the leader and applied.")
                        .Register(r)
                        .Add({});
    out->send_success = &pm::BuildCounter()
                             .Name("etcd_network_snapshot_send_success")
                             .Help("Total number of successful snapshot sends")
                             .Register(r);
    out->send_failures = &pm::BuildCounter()
                              .Name("etcd_network_snapshot_send_failures")
                              .Help("Total number of snapshot send failures")
                              .Register(r);
    out->send_duration = &pm::BuildHistogram()
                              .Name("etcd_network_snapshot_send_total_duration_seconds")
                              .Help("Total latency distributions of v3 snapshot sends")
                              .Register(r);
    out->receive_success = &pm::BuildCounter()
                                .Name("etcd_network_snapshot_receive_success")
                                .Help("Total number of successful snapshot receives")
                                .Register(r);
    out->receive_failures = &pm::BuildCounter()
                                 .Name("etcd_network_snapshot_receive_failures")
                                 .Help("Total number of snapshot receive failures")
                                 .Register(r);
    return out;
  }();
  return *f;
}

}  // namespace

void Saved(absl::Duration d) {
  Get().save_duration->Observe(absl::ToDoubleSeconds(d));
  Get().save_total->Increment();
}

void Sent(uint64_t peer, bool ok, absl::Duration d) {
  pm::Labels l{{"To", MemberIdHex(peer)}};
  (ok ? Get().send_success : Get().send_failures)->Add(l).Increment();
  if (ok) Get().send_duration->Add(l, Buckets()).Observe(absl::ToDoubleSeconds(d));
}

void Received(uint64_t peer, bool ok) {
  pm::Labels l{{"From", MemberIdHex(peer)}};
  (ok ? Get().receive_success : Get().receive_failures)->Add(l).Increment();
}

void Applied() { Get().applied->Increment(); }

}  // namespace etcdpp::server::snap_metrics
