#pragma once
// Every key of a member with its value, create and mod revisions and version, read through
// Range (serializable, in pages): what tests compare between members or servers. Header-only;
// include it from targets that link etcdpp_grpc.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "harness/grpc_util.h"

namespace etcdpp::testing {

// key -> {value, create_revision, mod_revision, version}
using Dump = std::map<std::string, std::tuple<std::string, int64_t, int64_t, int64_t>>;

[[nodiscard]] inline absl::StatusOr<Dump> DumpMember(
    const std::string& endpoint, std::chrono::milliseconds rpc_timeout = std::chrono::seconds(5)) {
  auto stub = etcdserverpb::KV::NewStub(NewChannel(endpoint));
  Dump out;
  std::string from(1, '\0');
  for (int pages = 0; pages < 1000; ++pages) {
    etcdserverpb::RangeRequest req;
    req.set_key(from);
    req.set_range_end(std::string(1, '\0'));
    req.set_limit(5000);
    req.set_serializable(true);
    etcdserverpb::RangeResponse resp;
    grpc::Status st = stub->Range(ContextWithDeadline(rpc_timeout).get(), req, &resp);
    if (!st.ok()) return absl::UnavailableError(StatusString(st));
    for (const auto& kv : resp.kvs()) {
      out[kv.key()] = {kv.value(), kv.create_revision(), kv.mod_revision(), kv.version()};
    }
    if (!resp.more() || resp.kvs().empty()) return out;
    from = resp.kvs().rbegin()->key() + std::string(1, '\0');
  }
  return absl::DeadlineExceededError("too many pages");
}

}  // namespace etcdpp::testing
