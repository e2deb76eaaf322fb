#include "server/grpcproxy/stream_forward.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace etcdpp::server::grpcproxy {
namespace {

// Metadata that belongs to one hop (HTTP/2 and gRPC's own), never copied across the proxy.
bool HopByHop(absl::string_view key) {
  return absl::StartsWith(key, ":") || absl::StartsWith(key, "grpc-") || key == "user-agent" ||
         key == "content-type" || key == "te" || key == "host";
}

}  // namespace

Metadata ForwardedMetadata(const grpc::ServerContextBase& from) {
  Metadata out;
  for (const auto& [k, v] : from.client_metadata()) {
    std::string key(k.data(), k.size());
    if (!HopByHop(key)) out.emplace_back(std::move(key), std::string(v.data(), v.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CopyCallContext(const grpc::ServerContextBase& from, grpc::ClientContext* to) {
  for (auto& [k, v] : ForwardedMetadata(from)) to->AddMetadata(k, v);
  to->set_deadline(from.deadline());
}

void CopyTrailers(const grpc::ClientContext& from, grpc::ServerContextBase* to) {
  for (const auto& [k, v] : from.GetServerTrailingMetadata()) {
    std::string key(k.data(), k.size());
    if (!HopByHop(key)) to->AddTrailingMetadata(key, std::string(v.data(), v.size()));
  }
}

}  // namespace etcdpp::server::grpcproxy
