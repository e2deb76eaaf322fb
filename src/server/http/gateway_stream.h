#pragma once
// Streaming gateway calls (Watch, LeaseKeepAlive, Snapshot, Election.Observe): the request
// body is one or more JSON messages, sent in order and then half-closed; every response is
// written as it arrives as a chunk {"result":...}\n, and an error ends the stream with
// grpc-gateway's {"error":{"grpc_code":...}} chunk. The client leaving cancels the call.

#include <memory>

#include "server/http/gateway.h"
#include "server/http/gateway_routes.h"

namespace etcdpp::server::http {

void StartStreamCall(Gateway* gw, const Route& route, Request req, std::shared_ptr<Responder> resp);

}  // namespace etcdpp::server::http
