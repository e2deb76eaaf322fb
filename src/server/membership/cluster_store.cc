#include "server/membership/cluster_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "internalpb/internal.pb.h"
#include "server/membership/reconfig_checks.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

std::string MemberIdHex(uint64_t id) { return absl::StrFormat("%x", id); }

ClusterStore::ClusterStore(backend::Backend* be) : be_(be) { Reload(); }

void ClusterStore::Reload() {
  MutexLock l(&mu_);
  members_.clear();
  removed_.clear();
  absl::Status st =
      be_->Range(backend::Bucket::kMembers, "", "", [&](std::string_view, std::string_view v) {
        mu_.AssertHeld();  // inside Range, under the lock above
        absl::StatusOr<Member> m = DecodeMember(v);
        if (m.ok()) members_[m->id] = *std::move(m);
        return true;
      });
  if (st.ok()) {
    st = be_->Range(backend::Bucket::kMembersRemoved, "", "",
                    [&](std::string_view k, std::string_view) {
                      mu_.AssertHeld();
                      uint64_t id = 0;
                      if (absl::SimpleHexAtoi(absl::string_view(k.data(), k.size()), &id)) {
                        removed_.insert(id);
                      }
                      return true;
                    });
  }
  if (!st.ok()) SPDLOG_ERROR("cannot load the member buckets: {}", st.ToString());
}

void ClusterStore::ApplyConfChange(const raft::ConfChange& cc) {
  std::optional<Member> changed;
  bool removed = false;
  {
    MutexLock l(&mu_);
    if (cc.type == raft::ConfChangeType::kRemoveNode) {
      members_.erase(cc.node_id);
      removed = removed_.insert(cc.node_id).second;
    } else {
      absl::StatusOr<Member> m = DecodeMember(cc.context);
      if (!m.ok() || removed_.contains(cc.node_id)) return;
      auto it = members_.find(cc.node_id);
      if (it == members_.end()) {
        m->is_learner = cc.type == raft::ConfChangeType::kAddLearnerNode;
        it = members_.emplace(cc.node_id, *m).first;
      } else if (cc.type == raft::ConfChangeType::kUpdateNode) {
        it->second.peer_urls = m->peer_urls;
      } else if (cc.type == raft::ConfChangeType::kAddNode) {
        it->second.is_learner = false;  // promotion
      }
      changed = it->second;
    }
  }
  if (changed) Persist(*changed);
  if (removed) PersistRemoved(cc.node_id);
}

void ClusterStore::SetAttributes(uint64_t id, const std::string& name,
                                 std::vector<std::string> client_urls) {
  std::optional<Member> changed;
  {
    MutexLock l(&mu_);
    auto it = members_.find(id);
    if (it == members_.end()) return;
    it->second.name = name;
    it->second.client_urls = std::move(client_urls);
    changed = it->second;
  }
  Persist(*changed);
}

void ClusterStore::Persist(const Member& m) {
  backend::BatchTx tx(be_);
  tx.Put(backend::Bucket::kMembers, MemberIdHex(m.id), EncodeMember(m));
  tx.End();
}

void ClusterStore::PersistRemoved(uint64_t id) {
  backend::BatchTx tx(be_);
  tx.Delete(backend::Bucket::kMembers, MemberIdHex(id));
  tx.Put(backend::Bucket::kMembersRemoved, MemberIdHex(id), "removed");
  tx.End();
}

std::vector<Member> ClusterStore::Members() const {
  MutexLock l(&mu_);
  std::vector<Member> v;
  for (const auto& [id, m] : members_) v.push_back(m);
  return v;
}

std::optional<Member> ClusterStore::Get(uint64_t id) const {
  MutexLock l(&mu_);
  auto it = members_.find(id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

bool ClusterStore::IsRemoved(uint64_t id) const {
  MutexLock l(&mu_);
  return removed_.contains(id);
}

std::vector<uint64_t> ClusterStore::RemovedIds() const {
  MutexLock l(&mu_);
  return {removed_.begin(), removed_.end()};
}

std::optional<Member> ClusterStore::FindByPeerUrl(const std::string& url) const {
  MutexLock l(&mu_);
  for (const auto& [id, m] : members_) {
    if (std::find(m.peer_urls.begin(), m.peer_urls.end(), url) != m.peer_urls.end()) return m;
  }
  return std::nullopt;
}

bool ClusterStore::IsReadyToAddVotingMember() const {
  return server::IsReadyToAddVotingMember(Members());
}

bool ClusterStore::IsReadyToRemoveVotingMember(uint64_t id) const {
  return server::IsReadyToRemoveVotingMember(Members(), id);
}

bool ClusterStore::IsReadyToPromoteMember(uint64_t id) const {
  return server::IsReadyToPromoteMember(Members(), id);
}

void ClusterStore::RegisterWaiter(uint64_t request_id, Waiter w) {
  MutexLock l(&mu_);
  waiters_[request_id] = std::move(w);
}

void ClusterStore::Wake(uint64_t request_id, absl::Status st) {
  Waiter w;
  {
    MutexLock l(&mu_);
    auto it = waiters_.find(request_id);
    if (it == waiters_.end()) return;
    w = std::move(it->second);
    waiters_.erase(it);
  }
  w(std::move(st));
}

bool ClusterStore::IsWaiting(uint64_t request_id) const {
  MutexLock l(&mu_);
  return waiters_.contains(request_id);
}

void ClusterStore::FailAll(absl::Status st) {
  absl::flat_hash_map<uint64_t, Waiter> all;
  {
    MutexLock l(&mu_);
    all.swap(waiters_);
  }
  for (auto& [id, w] : all) w(st);
}

}  // namespace etcdpp::server
