#pragma once
// The versions etcdpp reports. kApiVersion is the etcd API level implemented (design.md
// "Versions": clients enable features by it) and goes wherever etcd reports its own version
// (Status.version, /version, the etcd_server_version metric, --version); kEtcdppVersion is
// etcdpp's own release.

namespace etcdpp {

inline constexpr char kApiVersion[] = "3.6.0";
inline constexpr char kApiMinorVersion[] = "3.6";  // the cluster version ("enabled capabilities")
inline constexpr char kEtcdppVersion[] = "0.1.0";

}  // namespace etcdpp
