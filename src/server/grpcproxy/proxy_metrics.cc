#include "server/grpcproxy/proxy_metrics.h"

#include <vector>

#include "absl/strings/str_split.h"
#include "prometheus/text_serializer.h"
#include "server/metrics/process_collector.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pm = prometheus;

// grpc-go's codes.Code.String().
std::string CodeName(int code) {
  static const char* kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code < static_cast<int>(std::size(kNames)) ? kNames[code] : "Unknown";
}

}  // namespace

MethodLabels LabelsOf(const std::string& full_method) {
  std::vector<std::string> parts = absl::StrSplit(full_method, '/');
  MethodLabels l;
  l.service = parts.size() > 1 ? parts[1] : full_method;
  l.method = parts.size() > 2 ? parts[2] : "";
  l.type = "unary";
  if (full_method == "/etcdserverpb.Watch/Watch" ||
      full_method == "/etcdserverpb.Lease/LeaseKeepAlive") {
    l.type = "bidi_stream";
  } else if (full_method == "/etcdserverpb.Maintenance/Snapshot" ||
             full_method == "/v3electionpb.Election/Observe") {
    l.type = "server_stream";
  }
  return l;
}

ProxyMetrics::ProxyMetrics() : registry_(std::make_shared<pm::Registry>()) {
  started_ = &pm::BuildCounter()
                  .Name("grpc_server_started_total")
                  .Help("Total number of RPCs started on the server.")
                  .Register(*registry_);
  handled_ = &pm::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help(
                      "Total number of RPCs completed on the server, regardless of success or "
                      "failure.")
                  .Register(*registry_);
  watch_.watchers_coalescing = &pm::BuildGauge()
                                    .Name("etcd_grpc_proxy_watchers_coalescing_total")
                                    .Help("Total number of current watchers coalescing")
                                    .Register(*registry_)
                                    .Add({});
  watch_.events_coalescing = &pm::BuildCounter()
                                  .Name("etcd_grpc_proxy_events_coalescing_total")
                                  .Help("Total number of events coalescing")
                                  .Register(*registry_)
                                  .Add({});
  watch_.upstream_watchers =
      &pm::BuildGauge()
           .Name("etcdpp_grpc_proxy_member_watchers")
           .Help("Watches the proxy holds on the members for its clients' watches.")
           .Register(*registry_)
           .Add({});
  auto gauge = [this](const char* name, const char* help) {
    return &pm::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  cache_.keys = gauge("etcd_grpc_proxy_cache_keys_total", "Total number of keys/ranges cached");
  cache_.hits = gauge("etcd_grpc_proxy_cache_hits_total", "Total number of cache hits");
  cache_.misses = gauge("etcd_grpc_proxy_cache_misses_total", "Total number of cache misses");
  observer_.started = [this](const std::string& m) { Started(m); };
  observer_.handled = [this](const std::string& m, int code) { Handled(m, code); };
}

void ProxyMetrics::Started(const std::string& method) {
  MethodLabels l = LabelsOf(method);
  started_->Add({{"grpc_method", l.method}, {"grpc_service", l.service}, {"grpc_type", l.type}})
      .Increment();
}

void ProxyMetrics::Handled(const std::string& method, int code) {
  MethodLabels l = LabelsOf(method);
  handled_
      ->Add({{"grpc_code", CodeName(code)},
             {"grpc_method", l.method},
             {"grpc_service", l.service},
             {"grpc_type", l.type}})
      .Increment();
}

std::string ProxyMetrics::Render() const {
  std::vector<pm::MetricFamily> families = registry_->Collect();
  std::vector<pm::MetricFamily> process = ProcessCollector().Collect();
  families.insert(families.end(), process.begin(), process.end());
  return pm::TextSerializer().Serialize(families);
}

}  // namespace etcdpp::server::grpcproxy
