#pragma once
// The server's resident memory as `check datascale` reads it: GET <endpoint>/metrics over
// HTTP/1.1 (http:// when the endpoint has no scheme; https:// with the client certificate and
// key of --cert/--key, verified against --cacert unless --insecure-skip-tls-verify) and the
// value of the first line starting with process_resident_memory_bytes (stock etcdctl's
// endpointMemoryMetrics).

#include <string>

#include "client.h"

namespace etcdpp::etcdctl {

// The bytes, or 0 after printing why on stdout ("fetch error: ...", "could not find: ...",
// "client certificate error: ...") as stock etcdctl does.
double ResidentMemoryBytes(const std::string& endpoint, const ClientConfig& cfg);

}  // namespace etcdpp::etcdctl
