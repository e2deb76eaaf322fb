#pragma once
// `etcdpp --help`: etcd's usage text, in etcd 3.4's sections and order, with etcdpp's defaults
// and, under each flag etcdpp refuses, a line saying which values it takes and why.

#include <string>
#include <vector>

namespace etcdpp::server {

std::string ServerUsage();

// The flags ServerUsage lists, in its order (a test checks it lists exactly KnownFlags()).
std::vector<std::string> UsageFlags();

}  // namespace etcdpp::server
