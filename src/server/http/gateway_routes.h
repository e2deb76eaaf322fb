#pragma once
// etcd's gateway paths (etcdserverpb/gw/rpc.pb.gw.go, v3electionpb/gw, v3lockpb/gw): every
// path is a POST mapped to one RPC of the client port's services.

#include <string>

#include "google/protobuf/descriptor.h"

namespace etcdpp::server::http {

struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_path;   // "/etcdserverpb.KV/Range"
  bool streaming = false;  // client or server streaming: newline-delimited results
};

// The route of a /v3/ path (after /v3beta/ was rewritten), or nullptr.
const Route* FindRoute(const std::string& path);

}  // namespace etcdpp::server::http
