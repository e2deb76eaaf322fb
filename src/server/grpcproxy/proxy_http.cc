#include "server/grpcproxy/proxy_http.h"

#include <chrono>
#include <string>
#include <utility>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/client_context.h"

namespace etcdpp::server::grpcproxy {
namespace {

void PlainText(http::Responder* resp, int status, const std::string& text) {
  resp->Reply(status, "text/plain; charset=utf-8", text + "\n",
              {{"X-Content-Type-Options", "nosniff"}});
}

// One health probe in flight: what its callback needs alive until it runs.
struct Probe {
  std::unique_ptr<etcdserverpb::KV::Stub> stub;
  grpc::ClientContext ctx;
  etcdserverpb::RangeRequest req;
  etcdserverpb::RangeResponse resp;
};

}  // namespace

void ProxyHttp::Handle(http::Request req, std::shared_ptr<http::Responder> resp) {
  if (req.path == "/metrics") {
    resp->Reply(200, "text/plain; version=0.0.4; charset=utf-8", metrics_->Render());
  } else if (req.path == "/health") {
    if (req.method != "GET") {
      resp->Reply(405, "text/plain; charset=utf-8", "Method Not Allowed\n",
                  {{"Allow", "GET"}, {"X-Content-Type-Options", "nosniff"}});
      return;
    }
    Health(std::move(resp));
  } else {
    PlainText(resp.get(), 404, "404 page not found");
  }
}

void ProxyHttp::Health(std::shared_ptr<http::Responder> resp) {
  auto probe = std::make_shared<Probe>();  // shared: kept by the callback until it runs
  std::shared_ptr<grpc::Channel> ch = up_->Pick();
  probe->stub = etcdserverpb::KV::NewStub(ch);
  probe->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  probe->req.set_key("a");
  probe->stub->async()->Range(
      &probe->ctx, &probe->req, &probe->resp, [probe, resp, ch, up = up_](grpc::Status st) {
        if (st.error_code() == grpc::StatusCode::UNAVAILABLE) up->Failed(ch);
        const bool healthy = st.ok() || st.error_message() == "etcdserver: permission denied";
        if (healthy) {
          resp->Reply(200, "text/plain; charset=utf-8", "{\"health\":\"true\"}");
        } else {
          PlainText(resp.get(), 503, "{\"health\":\"false\"}");
        }
      });
}

}  // namespace etcdpp::server::grpcproxy
