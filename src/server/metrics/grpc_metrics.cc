#include "server/metrics/metrics.h"

// go-grpc-prometheus's grpc_server_* families and etcd's v3rpc client byte counters, kept
// by one interceptor per call.

#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "common/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message_lite.h"

namespace etcdpp::server {
namespace {
namespace pm = ::prometheus;

// The message's encoded size (etcd's codec counts the bytes it marshals and unmarshals). The
// client services' messages are all protobuf messages.
size_t EncodedSize(const void* message) {
  if (message == nullptr) return 0;
  return static_cast<const google::protobuf::MessageLite*>(message)->ByteSizeLong();
}

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

// Prometheus's DefBuckets, which go-grpc-prometheus's handling histogram uses.
const pm::Histogram::BucketBoundaries& DefBuckets() {
  static const pm::Histogram::BucketBoundaries kBuckets = {.005, .01, .025, .05, .1, .25,
                                                           .5,   1,   2.5,  5,   10};
  return kBuckets;
}

// The grpc_server_* series of one method. A family's Add hashes its label map and takes the
// family's lock, and building the map allocates: resolved once per method, a call costs one
// table lookup instead of five Adds.
struct MethodSeries {
  bool unary = false;
  pm::Counter* started = nullptr;
  pm::Counter* received = nullptr;
  pm::Counter* sent = nullptr;
  pm::Histogram* handling = nullptr;  // null unless the histogram is enabled
  pm::Counter* handled[kCodeCount] = {};
};

// At most this many methods get a cached entry (the registered services have about 60; a
// method name is what the client sends, so the table must not grow without bound). Later
// ones are resolved on every call, as before.
constexpr size_t kMaxCachedMethods = 256;

void Resolve(Metrics& mx, const pm::Labels& labels, MethodSeries* s) {
  s->unary = labels.at("grpc_type") == "unary";
  s->started = &mx.grpc_started->Add(labels);
  s->received = &mx.grpc_msg_received->Add(labels);
  s->sent = &mx.grpc_msg_sent->Add(labels);
  if (mx.grpc_handling_seconds != nullptr) {
    s->handling = &mx.grpc_handling_seconds->Add(labels, DefBuckets());
  }
  for (int c = 0; c < kCodeCount; ++c) {
    pm::Labels with_code = labels;
    with_code["grpc_code"] = CodeName(static_cast<grpc::StatusCode>(c));
    s->handled[c] = &mx.grpc_handled->Add(with_code);
  }
}

// The series of `method` (with `labels`), from the table or resolved into *scratch.
const MethodSeries* SeriesOf(Metrics& mx, const std::string& method, const pm::Labels& labels,
                             MethodSeries* scratch) {
  static Mutex mu;
  static auto* table = new absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>>();
  MutexLock l(&mu);
  auto it = table->find(method);
  if (it != table->end()) return it->second.get();
  MethodSeries* s = scratch;
  if (table->size() < kMaxCachedMethods) {
    s = table->emplace(method, std::make_unique<MethodSeries>()).first->second.get();
  }
  Resolve(mx, labels, s);
  return s;
}

}  // namespace

// go-grpc-prometheus's server metrics, one interceptor per call.
class GrpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit GrpcMetricsInterceptor(grpc::experimental::ServerRpcInfo* info) {
    std::string m = info->method();  // "/etcdserverpb.KV/Range"
    size_t slash = m.rfind('/');
    pm::Labels labels = {{"grpc_type", Type(info->type())},
                         {"grpc_service", m.substr(1, slash - 1)},
                         {"grpc_method", m.substr(slash + 1)}};
    series_ = SeriesOf(Metrics::Get(), m.append(":").append(Type(info->type())), labels, &own_);
    start_ = absl::Now();
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* b) override {
    using HP = grpc::experimental::InterceptionHookPoints;
    Metrics& mx = Metrics::Get();
    if (b->QueryInterceptionHookPoint(HP::POST_RECV_INITIAL_METADATA)) {
      series_->started->Increment();
      CountClientRequest(b->GetRecvInitialMetadata(), mx);
    }
    if (b->QueryInterceptionHookPoint(HP::POST_RECV_MESSAGE)) {
      series_->received->Increment();
      mx.client_grpc_received_bytes->Increment(
          static_cast<double>(EncodedSize(b->GetRecvMessage())));
    }
    if (b->QueryInterceptionHookPoint(HP::PRE_SEND_MESSAGE)) {
      series_->sent->Increment();
      mx.client_grpc_sent_bytes->Increment(static_cast<double>(EncodedSize(b->GetSendMessage())));
    }
    if (b->QueryInterceptionHookPoint(HP::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(b->GetSendStatus().error_code());
      series_->handled[code >= 0 && code < kCodeCount ? code : 2]->Increment();  // 2: Unknown
      if (series_->handling != nullptr) {
        series_->handling->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
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
    // version -> its counters for {stream, unary} calls, resolved when first seen.
    using Pair = std::array<pm::Counter*, 2>;
    static Mutex mu;
    static auto* seen = new absl::flat_hash_map<std::string, Pair>();
    pm::Counter* counter = nullptr;
    {
      MutexLock l(&mu);
      auto it = seen->find(version);
      if (it == seen->end()) {
        if (seen->size() >= kMaxVersions) version = "other";
        it = seen->find(version);
      }
      if (it == seen->end()) {
        Pair p;
        for (int unary = 0; unary < 2; ++unary) {
          p[unary] = &mx.client_requests->Add(
              {{"type", unary ? "unary" : "stream"}, {"client_api_version", version}});
        }
        it = seen->emplace(version, p).first;
      }
      counter = it->second[series_->unary ? 1 : 0];
    }
    counter->Increment();
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

 private:
  const MethodSeries* series_ = nullptr;
  MethodSeries own_;  // the series when the method has no table entry
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

// The client port's gRPC metrics: etcd's v3rpc ones and go-grpc-prometheus's.
void Metrics::RegisterGrpc() {
  pm::Registry& r = *registry_;
  client_grpc_sent_bytes =
      &NewVector(r, pm::BuildCounter(), "etcd_network_client_grpc_sent_bytes_total",
                 "The total number of bytes sent to grpc clients.")
           ->Add({});
  client_grpc_received_bytes =
      &NewVector(r, pm::BuildCounter(), "etcd_network_client_grpc_received_bytes_total",
                 "The total number of bytes received from grpc clients.")
           ->Add({});
  stream_failures = NewVector(r, pm::BuildCounter(), "etcd_network_server_stream_failures_total",
                              "The total number of stream failures from the local server.");
  client_requests = NewVector(r, pm::BuildCounter(), "etcd_server_client_requests_total",
                              "The total number of client requests per client version.");
  grpc_started = NewVector(r, pm::BuildCounter(), "grpc_server_started_total",
                           "Total number of RPCs started on the server.");
  grpc_handled =
      NewVector(r, pm::BuildCounter(), "grpc_server_handled_total",
                "Total number of RPCs completed on the server, regardless of success or failure.");
  grpc_msg_received = NewVector(r, pm::BuildCounter(), "grpc_server_msg_received_total",
                                "Total number of RPC stream messages received on the server.");
  grpc_msg_sent = NewVector(r, pm::BuildCounter(), "grpc_server_msg_sent_total",
                            "Total number of gRPC stream messages sent by the server.");
}

void Metrics::EnableHandlingTimeHistogram() {
  if (grpc_handling_seconds != nullptr) return;
  grpc_handling_seconds =
      NewVector(*registry_, pm::BuildHistogram(), "grpc_server_handling_seconds",
                "Histogram of response latency (seconds) of gRPC that had been "
                "application-level handled by the server.");
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
    if (grpc_handling_seconds != nullptr) grpc_handling_seconds->Add(l, DefBuckets());
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
