#pragma once
// Small gRPC helpers for real-process tests that talk to a server through the generated
// etcdserverpb stubs. Header-only so that etcdpp_test_harness itself needs no gRPC; include
// this only from targets that link etcdpp_grpc.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace etcdpp::testing {

// An insecure channel to `endpoint` ("127.0.0.1:port") with no receive-size cap, so that tests
// can read large ranges. Each call creates its own channel (and so its own connection).
inline std::shared_ptr<grpc::Channel> NewChannel(const std::string& endpoint) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // A private subchannel pool: channels to a restarted server never share a dead connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
}

// Waits (bounded) for the channel to connect; true if it did.
inline bool WaitConnected(grpc::Channel& channel, std::chrono::milliseconds timeout) {
  return channel.WaitForConnected(std::chrono::system_clock::now() + timeout);
}

// A client context with a deadline (every RPC in tests has one).
inline std::unique_ptr<grpc::ClientContext> ContextWithDeadline(std::chrono::milliseconds d) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + d);
  return ctx;
}

inline std::string StatusString(const grpc::Status& s) {
  return absl::StrCat("code=", static_cast<int>(s.error_code()), " message=\"", s.error_message(),
                      "\"");
}

}  // namespace etcdpp::testing
