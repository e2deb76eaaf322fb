#include "server/metrics/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "common/mutex.h"
#include "common/version.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/collectable.h"
#include "prometheus/text_serializer.h"

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

// Prometheus's process collector: CPU, memory, descriptors, start time (from /proc/self).
class ProcessCollector : public pm::Collectable {
 public:
  std::vector<pm::MetricFamily> Collect() const override {
    std::vector<pm::MetricFamily> out;
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream rest(content.substr(content.rfind(')') + 2));
    std::vector<std::string> f{"", "", ""};  // fields 1-2 consumed; index = field number - 1
    for (std::string tok; rest >> tok;) f.push_back(tok);
    if (f.size() < 25) return out;
    double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    double boot = BootTime();
    Add(&out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        pm::MetricType::Counter, (std::stod(f[14]) + std::stod(f[15])) / tick);
    Add(&out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
        pm::MetricType::Gauge, std::stod(f[23]));
    Add(&out, "process_resident_memory_bytes", "Resident memory size in bytes.",
        pm::MetricType::Gauge, std::stod(f[24]) * page);
    Add(&out, "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.", pm::MetricType::Gauge,
        boot + std::stod(f[22]) / tick);
    Add(&out, "process_open_fds", "Number of open file descriptors.", pm::MetricType::Gauge,
        OpenFds());
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    Add(&out, "process_max_fds", "Maximum number of open file descriptors.", pm::MetricType::Gauge,
        static_cast<double>(rl.rlim_cur));
    return out;
  }

 private:
  static void Add(std::vector<pm::MetricFamily>* out, const std::string& name,
                  const std::string& help, pm::MetricType type, double v) {
    pm::MetricFamily f{name, help, type, {}};
    pm::ClientMetric m;
    if (type == pm::MetricType::Counter)
      m.counter.value = v;
    else
      m.gauge.value = v;
    f.metric.push_back(m);
    out->push_back(std::move(f));
  }
  static double BootTime() {
    std::ifstream in("/proc/stat");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
    }
    return 0;
  }
  static double OpenFds() {
    DIR* d = opendir("/proc/self/fd");
    if (d == nullptr) return 0;
    double n = 0;
    while (readdir(d) != nullptr) ++n;
    closedir(d);
    return n - 3;  // ".", "..", and the directory's own descriptor
  }
};

constexpr int kCodeCount = 17;

const char* CodeName(grpc::StatusCode c) {
  static const char* kNames[kCodeCount] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  int i = static_cast<int>(c);
  return i >= 0 && i < kCodeCount ? kNames[i] : "Unknown";
}

}  // namespace

// go-grpc-prometheus's server metrics, one interceptor per call.
class GrpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit GrpcMetricsInterceptor(grpc::experimental::ServerRpcInfo* info) {
    std::string m = info->method();  // "/etcdserverpb.KV/Range"
    size_t slash = m.rfind('/');
    labels_ = {{"grpc_type", Type(info->type())},
               {"grpc_service", m.substr(1, slash - 1)},
               {"grpc_method", m.substr(slash + 1)}};
    start_ = absl::Now();
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* b) override {
    using HP = grpc::experimental::InterceptionHookPoints;
    Metrics& mx = Metrics::Get();
    if (b->QueryInterceptionHookPoint(HP::POST_RECV_INITIAL_METADATA)) {
      mx.grpc_started->Add(labels_).Increment();
      CountClientRequest(b->GetRecvInitialMetadata(), mx);
    }
    if (b->QueryInterceptionHookPoint(HP::POST_RECV_MESSAGE))
      mx.grpc_msg_received->Add(labels_).Increment();
    if (b->QueryInterceptionHookPoint(HP::PRE_SEND_MESSAGE))
      mx.grpc_msg_sent->Add(labels_).Increment();
    if (b->QueryInterceptionHookPoint(HP::PRE_SEND_STATUS)) {
      pm::Labels l = labels_;
      l["grpc_code"] = CodeName(b->GetSendStatus().error_code());
      mx.grpc_handled->Add(l).Increment();
      if (mx.grpc_handling_seconds != nullptr) {
        mx.grpc_handling_seconds->Add(labels_, DefBuckets())
            .Observe(absl::ToDoubleSeconds(absl::Now() - start_));
      }
    }
    b->Proceed();
  }

  // etcd's interceptors count each call by the client's API version; a version that is not
  // UTF-8 is refused by the call's own checks (require_leader.h) and not counted. At most
  // kMaxVersions distinct versions get a series of their own (a client cannot grow the
  // registry without bound); later ones count as "other".
  void CountClientRequest(std::multimap<grpc::string_ref, grpc::string_ref>* md, Metrics& mx) {
    static constexpr size_t kMaxVersions = 32;
    std::string version = "unknown";
    if (md != nullptr) {
      auto it = md->find("client-api-version");
      if (it != md->end()) version.assign(it->second.data(), it->second.size());
    }
    for (size_t i = 0; i < version.size();) {
      const size_t n = Utf8SequenceLength(std::string_view(version).substr(i));
      if (n == 0) return;
      i += n;
    }
    {
      static Mutex mu;
      static absl::flat_hash_set<std::string>* seen = new absl::flat_hash_set<std::string>();
      MutexLock l(&mu);
      if (!seen->contains(version)) {
        if (seen->size() >= kMaxVersions) {
          version = "other";
        } else {
          seen->insert(version);
        }
      }
    }
    const bool unary = labels_.at("grpc_type") == "unary";
    mx.client_requests->Add({{"type", unary ? "unary" : "stream"}, {"client_api_version", version}})
        .Increment();
  }

  static const char* Type(const google::protobuf::MethodDescriptor& m) {
    if (m.client_streaming()) return m.server_streaming() ? "bidi_stream" : "client_stream";
    return m.server_streaming() ? "server_stream" : "unary";
  }
  static const char* Type(grpc::experimental::ServerRpcInfo::Type t) {
    using T = grpc::experimental::ServerRpcInfo::Type;
    switch (t) {
      case T::UNARY:
        return "unary";
      case T::CLIENT_STREAMING:
        return "client_stream";
      case T::SERVER_STREAMING:
        return "server_stream";
      default:
        return "bidi_stream";
    }
  }
  // Prometheus's DefBuckets, which go-grpc-prometheus's handling histogram uses.
  static const pm::Histogram::BucketBoundaries& DefBuckets() {
    static const pm::Histogram::BucketBoundaries kBuckets = {.005, .01, .025, .05, .1, .25,
                                                             .5,   1,   2.5,  5,   10};
    return kBuckets;
  }

 private:
  pm::Labels labels_;
  absl::Time start_;
};

namespace {
class GrpcMetricsFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new GrpcMetricsInterceptor(info);
  }
};
}  // namespace

Metrics& Metrics::Get() {
  static Metrics* m = new Metrics();
  return *m;
}

Metrics::Metrics() : registry_(std::make_shared<pm::Registry>()) {
  pm::Registry& r = *registry_;
  has_leader_ = NewGauge(r, "etcd_server_has_leader",
                         "Whether or not a leader exists. 1 is existence, 0 is not.");
  is_leader_ = NewGauge(r, "etcd_server_is_leader",
                        "Whether or not this member is a leader. 1 if is, 0 otherwise.");
  leader_changes_ =
      NewCounter(r, "etcd_server_leader_changes_seen_total", "The number of leader changes seen.");
  proposals_committed_ = NewGauge(r, "etcd_server_proposals_committed_total",
                                  "The total number of consensus proposals committed.");
  proposals_applied_ = NewGauge(r, "etcd_server_proposals_applied_total",
                                "The total number of consensus proposals applied.");
  proposals_pending_ = NewGauge(r, "etcd_server_proposals_pending",
                                "The current number of pending proposals to commit.");
  proposals_failed_ = NewCounter(r, "etcd_server_proposals_failed_total",
                                 "The total number of failed proposals seen.");
  NewGauge(r, "etcd_server_version",
           "Which version is running. 1 for 'server_version' label with current version.",
           {{"server_version", kApiVersion}})
      ->Set(1);
  NewGauge(r, "etcd_cluster_version",
           "Which version is running. 1 for 'cluster_version' label with current cluster version",
           {{"cluster_version", kApiMinorVersion}})
      ->Set(1);
  health_success_ =
      NewCounter(r, "etcd_server_health_success", "The total number of successful health checks");
  health_failures_ =
      NewCounter(r, "etcd_server_health_failures", "The total number of failed health checks");
  wal_fsync_ = &pm::BuildHistogram()
                    .Name("etcd_disk_wal_fsync_duration_seconds")
                    .Help("The latency distributions of fsync called by WAL.")
                    .Register(r)
                    .Add({}, Exponential(0.001, 2, 14));
  backend_commit_ = &pm::BuildHistogram()
                         .Name("etcd_disk_backend_commit_duration_seconds")
                         .Help("The latency distributions of commit called by backend.")
                         .Register(r)
                         .Add({}, Exponential(0.001, 2, 14));
  db_size_ = NewGauge(r, "etcd_mvcc_db_total_size_in_bytes",
                      "Total size of the underlying database physically allocated in bytes.");
  db_in_use_ = NewGauge(r, "etcd_mvcc_db_total_size_in_use_in_bytes",
                        "Total size of the underlying database logically in use in bytes.");
  keys_ = NewGauge(r, "etcd_debugging_mvcc_keys_total", "Total number of keys.");
  quota_bytes_ = NewGauge(r, "etcd_server_quota_backend_bytes",
                          "Current backend storage quota size in bytes.");
  // etcd has no alarm metric; etcdpp counts the raised alarms by type.
  auto& alarms =
      pm::BuildGauge().Name("etcdpp_server_alarms").Help("Raised alarms, by type.").Register(r);
  nospace_alarms_ = &alarms.Add({{"alarm_type", "NOSPACE"}});
  corrupt_alarms_ = &alarms.Add({{"alarm_type", "CORRUPT"}});
  range_ = NewCounter(r, "etcd_mvcc_range_total", "Total number of ranges seen by this member.");
  put_ = NewCounter(r, "etcd_mvcc_put_total", "Total number of puts seen by this member.");
  delete_ = NewCounter(r, "etcd_mvcc_delete_total", "Total number of deletes seen by this member.");
  txn_ = NewCounter(r, "etcd_mvcc_txn_total", "Total number of txns seen by this member.");
  peer_sent_bytes = &pm::BuildCounter()
                         .Name("etcd_network_peer_sent_bytes_total")
                         .Help("The total number of bytes sent to peers.")
                         .Register(r);
  peer_received_bytes = &pm::BuildCounter()
                             .Name("etcd_network_peer_received_bytes_total")
                             .Help("The total number of bytes received from peers.")
                             .Register(r);
  peer_rtt = &pm::BuildHistogram()
                  .Name("etcd_network_peer_round_trip_time_seconds")
                  .Help("Round-Trip-Time histogram between peers")
                  .Register(r);
  client_requests = &pm::BuildCounter()
                         .Name("etcd_server_client_requests_total")
                         .Help("The total number of client requests per client version.")
                         .Register(r);
  grpc_started = &pm::BuildCounter()
                      .Name("grpc_server_started_total")
                      .Help("Total number of RPCs started on the server.")
                      .Register(r);
  grpc_handled =
      &pm::BuildCounter()
           .Name("grpc_server_handled_total")
           .Help("Total number of RPCs completed on the server, regardless of success or failure.")
           .Register(r);
  grpc_msg_received = &pm::BuildCounter()
                           .Name("grpc_server_msg_received_total")
                           .Help("Total number of RPC stream messages received on the server.")
                           .Register(r);
  grpc_msg_sent = &pm::BuildCounter()
                       .Name("grpc_server_msg_sent_total")
                       .Help("Total number of gRPC stream messages sent by the server.")
                       .Register(r);
}

std::string Metrics::Render(const MetricsSample& s) {
  has_leader_->Set(s.has_leader ? 1 : 0);
  is_leader_->Set(s.is_leader ? 1 : 0);
  proposals_committed_->Set(static_cast<double>(s.committed_index));
  proposals_applied_->Set(static_cast<double>(s.applied_index));
  db_size_->Set(static_cast<double>(s.db_size));
  db_in_use_->Set(static_cast<double>(s.db_size_in_use));
  keys_->Set(static_cast<double>(s.keys));
  quota_bytes_->Set(static_cast<double>(s.quota_bytes));
  nospace_alarms_->Set(s.nospace_alarms);
  corrupt_alarms_->Set(s.corrupt_alarms);
  std::vector<pm::MetricFamily> families = registry_->Collect();
  std::vector<pm::MetricFamily> process = ProcessCollector().Collect();
  families.insert(families.end(), process.begin(), process.end());
  return pm::TextSerializer().Serialize(families);
}

void Metrics::PeerSent(uint64_t to, size_t bytes) {
  peer_sent_bytes->Add({{"To", absl::StrFormat("%x", to)}}).Increment(static_cast<double>(bytes));
}

void Metrics::PeerReceived(uint64_t from, size_t bytes) {
  peer_received_bytes->Add({{"From", absl::StrFormat("%x", from)}})
      .Increment(static_cast<double>(bytes));
}

// rafthttp's rttSec buckets: 0.1 ms doubling, 16 of them.
void Metrics::PeerRtt(uint64_t to, absl::Duration d) {
  static const pm::Histogram::BucketBoundaries kBuckets = Exponential(0.0001, 2, 16);
  peer_rtt->Add({{"To", absl::StrFormat("%x", to)}}, kBuckets).Observe(absl::ToDoubleSeconds(d));
}

void Metrics::EnableHandlingTimeHistogram() {
  if (grpc_handling_seconds != nullptr) return;
  grpc_handling_seconds = &pm::BuildHistogram()
                               .Name("grpc_server_handling_seconds")
                               .Help(
                                   "Histogram of response latency (seconds) of gRPC that had been "
                                   "application-level handled by the server.")
                               .Register(*registry_);
}

void Metrics::PreRegisterGrpcService(const std::string& full_name) {
  const google::protobuf::ServiceDescriptor* svc =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  if (svc == nullptr) return;
  for (int i = 0; i < svc->method_count(); ++i) {
    const google::protobuf::MethodDescriptor& m = *svc->method(i);
    pm::Labels l = {{"grpc_type", GrpcMetricsInterceptor::Type(m)},
                    {"grpc_service", full_name},
                    {"grpc_method", m.name()}};
    grpc_started->Add(l);
    grpc_msg_received->Add(l);
    grpc_msg_sent->Add(l);
    if (grpc_handling_seconds != nullptr)
      grpc_handling_seconds->Add(l, GrpcMetricsInterceptor::DefBuckets());
    for (int c = 0; c < kCodeCount; ++c) {
      pm::Labels with_code = l;
      with_code["grpc_code"] = CodeName(static_cast<grpc::StatusCode>(c));
      grpc_handled->Add(with_code);
    }
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::GrpcInterceptorFactory() {
  return std::make_unique<GrpcMetricsFactory>();
}

}  // namespace etcdpp::server
