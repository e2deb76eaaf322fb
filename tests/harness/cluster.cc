#include "harness/cluster.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/ports.h"

namespace etcdpp::testing {

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(
    const std::string& binary, int size, std::vector<std::string> extra_flags,
    absl::Duration ready_timeout, const std::function<void(ServerProcess*)>& before_launch) {
  std::vector<MemberConfig> cfgs(size);
  std::string initial;
  for (int i = 0; i < size; ++i) {
    absl::StatusOr<int> client = PickFreePort(), peer = PickFreePort();
    if (!client.ok()) return client.status();
    if (!peer.ok()) return peer.status();
    cfgs[i].name = absl::StrCat("m", i);
    cfgs[i].client_port = *client;
    cfgs[i].peer_port = *peer;
    cfgs[i].extra_flags = extra_flags;
    absl::StrAppend(&initial, i == 0 ? "" : ",", cfgs[i].name, "=http://127.0.0.1:", *peer);
  }
  std::vector<std::unique_ptr<ServerProcess>> members;
  for (MemberConfig& c : cfgs) {
    c.initial_cluster = initial;
    absl::StatusOr<std::unique_ptr<ServerProcess>> m = ServerProcess::Create(binary, c);
    if (!m.ok()) return m.status();
    members.push_back(std::move(*m));
  }
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(members)));
  for (auto& m : cluster->members_) {
    if (before_launch) before_launch(m.get());
    if (absl::Status st = m->Launch(); !st.ok()) return st;
  }
  for (auto& m : cluster->members_) {
    if (absl::Status st = m->WaitReady(ready_timeout); !st.ok()) {
      cluster->KeepTempDirs();
      return st;
    }
  }
  return cluster;
}

void Cluster::KeepTempDirs() {
  for (auto& m : members_) m->set_keep_temp_dir(true);
}

}  // namespace etcdpp::testing
