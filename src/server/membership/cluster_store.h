#pragma once
// ClusterStore: the member list of the cluster as the applied log defines it (etcd's
// membership.RaftCluster). Conf changes (add, add learner, promote, update peer URLs, remove)
// and member attributes (name, client URLs, published by each member through Raft) arrive from
// the applier thread, in log order, each staged in the backend batch of its entry (with its
// consistent index). Every change is written to the backend buckets `members` (key: the id in
// hex, value: internalpb.MemberRecord) and `members_removed` (key: the id in hex), so a
// restarted member knows its cluster.
//
// Also holds the waiters of membership requests: a Cluster RPC proposes a conf change whose
// context carries a request id and is woken when that change is applied (or dropped).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "backend/backend.h"
#include "common/mutex.h"
#include "raft/types.h"
#include "server/membership/membership.h"

namespace etcdpp::server {

class ClusterStore {
 public:
  using Waiter = std::function<void(absl::Status)>;

  // `be` is not owned and must outlive the store. Loads what the backend holds.
  explicit ClusterStore(backend::Backend* be);

  // Loads the member buckets again (the backend was replaced by a raft snapshot's).
  void Reload();

  // Applies a committed conf change that the backend does not hold yet (applier thread).
  void ApplyConfChange(const raft::ConfChange& cc);
  void SetAttributes(uint64_t id, const std::string& name, std::vector<std::string> client_urls);

  std::vector<Member> Members() const;  // sorted by id
  std::optional<Member> Get(uint64_t id) const;
  bool IsRemoved(uint64_t id) const;
  std::vector<uint64_t> RemovedIds() const;  // ascending
  // The member whose peer URLs include `url`, if any.
  std::optional<Member> FindByPeerUrl(const std::string& url) const;

  // etcd's strict reconfiguration checks (membership/cluster.go): enough started voters
  // remain after the change. A member is started once it has published its name.
  bool IsReadyToAddVotingMember() const;
  bool IsReadyToRemoveVotingMember(uint64_t id) const;
  bool IsReadyToPromoteMember(uint64_t id) const;

  void RegisterWaiter(uint64_t request_id, Waiter w);
  void Wake(uint64_t request_id, absl::Status st);
  bool IsWaiting(uint64_t request_id) const;
  void FailAll(absl::Status st);

 private:
  void Persist(const Member& m);
  void PersistRemoved(uint64_t id);

  backend::Backend* const be_;

  mutable Mutex mu_;
  std::map<uint64_t, Member> members_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> removed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
};

// Hex form of a member id as etcd prints and stores it ("8e9e05c52164694d").
std::string MemberIdHex(uint64_t id);

}  // namespace etcdpp::server
