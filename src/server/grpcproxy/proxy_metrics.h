#pragma once
// ProxyMetrics: what the proxy's /metrics serves. Its own registry (the proxy has no member
// state to report): go-grpc-prometheus's grpc_server_started_total and
// grpc_server_handled_total for the calls it forwards, etcd's proxy watch and cache series
// (etcd_grpc_proxy_watchers_coalescing_total, etcd_grpc_proxy_events_coalescing_total,
// etcd_grpc_proxy_cache_{keys,hits,misses}_total, gauges as etcd's), the
// member watches it holds (etcdpp_grpc_proxy_member_watchers), and client_golang's process_*
// series.
// etcd 3.4's proxy answers /metrics with one member's exposition instead (docs/compatibility.md).

#include <memory>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "server/grpcproxy/forward_call.h"
#include "server/grpcproxy/kv_proxy.h"
#include "server/grpcproxy/watch_coalescer.h"

namespace etcdpp::server::grpcproxy {

class ProxyMetrics {
 public:
  ProxyMetrics();
  // Hooks for the forwarding service (valid as long as this object).
  const CallObserver* observer() const { return &observer_; }
  // The watch service's series (valid as long as this object).
  WatchMetrics watch() const { return watch_; }
  // The KV service's cache series (valid as long as this object).
  CacheMetrics cache() const { return cache_; }
  // The text exposition (format 0.0.4).
  std::string Render() const;

 private:
  void Started(const std::string& method);
  void Handled(const std::string& method, int code);

  std::shared_ptr<prometheus::Registry> registry_;  // shared: prometheus-cpp's Collectable type
  prometheus::Family<prometheus::Counter>* started_;
  prometheus::Family<prometheus::Counter>* handled_;
  CallObserver observer_;
  WatchMetrics watch_;
  CacheMetrics cache_;
};

// go-grpc-prometheus's labels of a full method name ("/etcdserverpb.KV/Range"): grpc_service,
// grpc_method, and grpc_type of etcd's methods ("unary", "server_stream", "bidi_stream").
struct MethodLabels {
  std::string service;
  std::string method;
  std::string type;
};
MethodLabels LabelsOf(const std::string& full_method);

}  // namespace etcdpp::server::grpcproxy
