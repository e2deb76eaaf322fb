#pragma once
// Gateway: etcd's JSON gateway. A POST to a /v3/ path becomes a call of the matching RPC on
// the member's own gRPC server, over an in-process channel with the generic callback stub, so
// every service (KV, Lease, Watch, Cluster, Maintenance, Auth, Election, Lock) is reachable
// without a second implementation and no HTTP thread waits for consensus. Unary answers are
// one JSON body; streaming RPCs answer newline-delimited {"result":...} chunks.
//
// As etcd's gateway shares one HTTP/2 connection (and so --max-concurrent-streams) between
// all its requests, at most max_streams gateway calls run at once; the rest wait their turn.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/mutex.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "server/http/request.h"
#include "server/http/responder.h"

namespace etcdpp::server::http {

using MessageStub =
    grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>;

class Gateway {
 public:
  Gateway(std::shared_ptr<grpc::Channel> channel, uint32_t max_streams);
  // Waits for calls in flight (their HTTP clients should be gone and the server shut down).
  ~Gateway();

  // Serves a /v3/ request (any /v3beta/ prefix already rewritten).
  void Serve(Request req, std::shared_ptr<Responder> resp);

  // One unary call for the server's own HTTP endpoints (/health's read).
  using Done = std::function<void(const grpc::Status&, const google::protobuf::Message&)>;
  void Call(const std::string& grpc_path, std::unique_ptr<google::protobuf::Message> req,
            std::unique_ptr<google::protobuf::Message> resp, absl::Duration timeout, Done done);

  // The stream slots: Acquire runs `start` at once or when a slot frees; Release frees one.
  void Acquire(std::function<void()> start);
  void Release();
  MessageStub* stub() { return &stub_; }
  void CallStarted();
  void CallEnded();

 private:
  void ServeUnary(const struct Route& route, Request req, std::shared_ptr<Responder> resp);

  MessageStub stub_;
  const uint32_t max_streams_;
  Mutex mu_;
  CondVar idle_;
  uint32_t active_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::function<void()>> waiting_ ABSL_GUARDED_BY(mu_);
};

// Copies the headers the gateway forwards as gRPC metadata (Authorization, Grpc-Metadata-*).
void ForwardHeaders(const Request& req, grpc::ClientContext* ctx);
// Plain-text answers as Go's http.Error writes them.
void PlainError(Responder* resp, int status, absl::string_view text);

}  // namespace etcdpp::server::http
