#pragma once
// The stock etcdctl (Debian etcd-client 3.4) for snapshot tests. Header-only.

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "harness/command.h"
#include "harness/server_process.h"

namespace etcdpp::testing {

inline constexpr char kStockEtcdctl[] = "/usr/bin/etcdctl";

// `etcdctl snapshot restore` of `snap` into the (removed first) data dir of `member`, as a
// one-member cluster of it at its peer URL. Returns etcdctl's output; *rc is its exit status.
inline std::string RestoreSnapshotInto(const std::string& snap, const ServerProcess& member,
                                       int* rc) {
  std::filesystem::remove_all(member.data_dir());
  const std::string& name = member.config().name;
  return RunCommand(
      absl::StrCat("ETCDCTL_API=3 ", kStockEtcdctl, " snapshot restore ", snap, " --data-dir ",
                   member.data_dir(), " --name ", name, " --initial-cluster ", name, "=",
                   member.PeerUrl(), " --initial-advertise-peer-urls ", member.PeerUrl()),
      rc);
}

}  // namespace etcdpp::testing
