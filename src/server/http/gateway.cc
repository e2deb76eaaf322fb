#include "server/http/gateway.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "google/protobuf/message.h"
#include "server/http/gateway_routes.h"
#include "server/http/gateway_stream.h"
#include "server/http/json_codec.h"

namespace etcdpp::server::http {
namespace pbuf = ::google::protobuf;

namespace {

const Headers& JsonHeaders() {
  static const Headers* kHeaders = new Headers{{"Grpc-Metadata-Content-Type", "application/grpc"}};
  return *kHeaders;
}

std::unique_ptr<pbuf::Message> NewMessage(const pbuf::Descriptor* d) {
  return std::unique_ptr<pbuf::Message>(
      pbuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

// One unary gateway call; deletes itself when the call completes.
struct UnaryCall {
  grpc::ClientContext ctx;
  std::unique_ptr<pbuf::Message> req;
  std::unique_ptr<pbuf::Message> resp;
};

}  // namespace

void ForwardHeaders(const Request& req, grpc::ClientContext* ctx) {
  for (const auto& [k, v] : req.headers) {
    if (k == "authorization") ctx->AddMetadata("authorization", v);
    if (absl::StartsWith(k, "grpc-metadata-")) ctx->AddMetadata(k.substr(14), v);
  }
}

void PlainError(Responder* resp, int status, absl::string_view text) {
  resp->Reply(status, "text/plain; charset=utf-8", std::string(text) + "\n",
              {{"X-Content-Type-Options", "nosniff"}});
}

Gateway::Gateway(std::shared_ptr<grpc::Channel> channel, uint32_t max_streams)
    : stub_(std::move(channel)), max_streams_(max_streams == 0 ? UINT32_MAX : max_streams) {}

Gateway::~Gateway() {
  MutexLock l(&mu_);
  waiting_.clear();
  while (in_flight_ > 0) idle_.Wait(&mu_);
}

void Gateway::CallStarted() {
  MutexLock l(&mu_);
  ++in_flight_;
}

void Gateway::CallEnded() {
  MutexLock l(&mu_);
  if (--in_flight_ == 0) idle_.SignalAll();
}

void Gateway::Acquire(std::function<void()> start) {
  {
    MutexLock l(&mu_);
    if (active_ >= max_streams_) {
      waiting_.push_back(std::move(start));
      return;
    }
    ++active_;
  }
  start();
}

void Gateway::Release() {
  std::function<void()> next;
  {
    MutexLock l(&mu_);
    if (waiting_.empty()) {
      --active_;
      return;
    }
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  next();  // the slot passes to the next waiting request
}

void Gateway::Serve(Request req, std::shared_ptr<Responder> resp) {
  const Route* route = FindRoute(req.path);
  if (route == nullptr) {
    PlainError(resp.get(), 404, "Not Found");
    return;
  }
  if (req.method != "POST") {
    PlainError(resp.get(), 405, "Method Not Allowed");
    return;
  }
  if (route->streaming) {
    StartStreamCall(this, *route, std::move(req), std::move(resp));
    return;
  }
  ServeUnary(*route, std::move(req), std::move(resp));
}

void Gateway::ServeUnary(const Route& route, Request req, std::shared_ptr<Responder> resp) {
  auto call = std::make_shared<UnaryCall>();
  call->req = NewMessage(route.method->input_type());
  call->resp = NewMessage(route.method->output_type());
  if (absl::Status st = JsonToProto(req.body, call->req.get()); !st.ok()) {
    resp->Reply(400, "application/json", ErrorBody(3, st.message()));
    return;
  }
  ForwardHeaders(req, &call->ctx);
  // A client that leaves cancels its call, as Go's gateway cancels the request's context: a
  // Campaign or Lock waiting for its turn then gives its place up.
  std::weak_ptr<UnaryCall> weak = call;
  resp->OnGone([weak] {
    if (auto c = weak.lock()) c->ctx.TryCancel();
  });
  CallStarted();
  Acquire([this, call, resp, path = route.grpc_path] {
    if (resp->gone()) {  // the client left while waiting for a slot
      Release();
      CallEnded();
      return;
    }
    stub_.UnaryCall(&call->ctx, path, grpc::StubOptions(), call->req.get(), call->resp.get(),
                    [this, call, resp](grpc::Status st) {
                      if (st.ok()) {
                        resp->Reply(200, "application/json", ProtoToJson(*call->resp),
                                    JsonHeaders());
                      } else {
                        resp->Reply(HttpStatusFromGrpcCode(st.error_code()), "application/json",
                                    ErrorBody(st.error_code(), st.error_message()), JsonHeaders());
                      }
                      Release();
                      CallEnded();
                    });
  });
}

void Gateway::Call(const std::string& grpc_path, std::unique_ptr<pbuf::Message> req,
                   std::unique_ptr<pbuf::Message> resp, absl::Duration timeout, Done done) {
  auto call = std::make_shared<UnaryCall>();
  call->req = std::move(req);
  call->resp = std::move(resp);
  call->ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  CallStarted();
  stub_.UnaryCall(&call->ctx, grpc_path, grpc::StubOptions(), call->req.get(), call->resp.get(),
                  [this, call, done = std::move(done)](grpc::Status st) {
                    done(st, *call->resp);
                    CallEnded();
                  });
}

}  // namespace etcdpp::server::http
