// Fuzzes the JSON gateway's body parser (src/server/http/json_codec.h): the input's first byte
// picks a gateway route (so the body is parsed into that RPC's request type, as gateway.cc does),
// the rest is the POST body. Streaming routes split the body into JSON values first. A body the
// parser accepts prints back (ProtoToJson) to JSON that parses to the same message.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/http/gateway_routes.h"
#include "server/http/json_codec.h"

namespace {

using etcdpp::server::http::Route;

// The gateway's paths the fuzzer picks from: each request type once.
constexpr const char* kPaths[] = {
    "/v3/kv/range",
    "/v3/kv/put",
    "/v3/kv/deleterange",
    "/v3/kv/txn",
    "/v3/kv/compaction",
    "/v3/watch",
    "/v3/lease/grant",
    "/v3/lease/revoke",
    "/v3/lease/keepalive",
    "/v3/lease/timetolive",
    "/v3/lease/leases",
    "/v3/cluster/member/add",
    "/v3/cluster/member/remove",
    "/v3/cluster/member/update",
    "/v3/maintenance/alarm",
    "/v3/maintenance/status",
    "/v3/maintenance/hash",
    "/v3/maintenance/transfer-leadership",
    "/v3/auth/authenticate",
    "/v3/auth/user/add",
    "/v3/auth/role/grant",
    "/v3/auth/role/revoke",
    "/v3/auth/user/grant",
    "/v3/election/campaign",
    "/v3/election/proclaim",
    "/v3/lock/lock",
};

std::unique_ptr<google::protobuf::Message> NewRequest(const Route& route) {
  const google::protobuf::Message* proto =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          route.method->input_type());
  if (proto == nullptr) std::abort();
  return std::unique_ptr<google::protobuf::Message>(proto->New());
}

void ParseOne(const Route& route, absl::string_view body) {
  std::unique_ptr<google::protobuf::Message> msg = NewRequest(route);
  if (!etcdpp::server::http::JsonToProto(body, msg.get()).ok()) return;
  const std::string printed = etcdpp::server::http::ProtoToJson(*msg);
  std::unique_ptr<google::protobuf::Message> again = NewRequest(route);
  if (!etcdpp::server::http::JsonToProto(printed, again.get()).ok() ||
      !google::protobuf::util::MessageDifferencer::Equals(*msg, *again)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  constexpr size_t kCount = sizeof(kPaths) / sizeof(kPaths[0]);
  const Route* route = etcdpp::server::http::FindRoute(kPaths[data[0] % kCount]);
  if (route == nullptr) std::abort();  // the table above names only real routes
  const absl::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (!route->streaming) {
    ParseOne(*route, body);
    return 0;
  }
  for (const std::string& value : etcdpp::server::http::SplitJsonValues(body)) {
    ParseOne(*route, value);
  }
  return 0;
}
