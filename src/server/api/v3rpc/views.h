#pragma once
// What the client services see of the member: narrow views, one per concern (etcd's v3rpc
// takes an EtcdServer interface). The owner's parts implement them -- Proposer (Proposals),
// LeaseFrontend (LeaseView), ClusterOps (ClusterView), EtcdServer (the rest) -- so this
// library builds and is tested without the owner, and a service can use only what it names.

#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/store.h"
#include "etcdserverpb/rpc.pb.h"
#include "grpcpp/server_context.h"
#include "internalpb/internal.pb.h"
#include "lease/lessor.h"
#include "raft/types.h"
#include "server/apply/applier_v3.h"
#include "server/apply/kv_apply.h"
#include "server/config.h"
#include "server/membership/cluster_store.h"
#include "server/membership/membership.h"
#include "watch/watchable_store.h"

namespace etcdpp::server {

class RequireLeaderStreams;

// Runs once the request's entry was applied (or failed).
using ApplyWaiter = std::function<void(ApplyResult)>;

// The member itself: its flags, identity and leader.
class MemberView {
 public:
  virtual ~MemberView() = default;
  virtual const Config& config() const = 0;
  // Fills cluster_id, member_id and raft_term; the revision stays as the applier set it.
  virtual void FillHeader(etcdserverpb::ResponseHeader* h) const = 0;
  virtual uint64_t leader() const = 0;  // 0: none known
  virtual bool is_leader() const = 0;
  // Streams opened with hasleader=true (require_leader.h).
  virtual RequireLeaderStreams* leader_streams() const = 0;
};

// Writes through Raft.
class Proposals {
 public:
  virtual ~Proposals() = default;
  // `done` runs once the request is applied or has failed (timeout, dropped, too large).
  virtual void Propose(internalpb::InternalRequest req, ApplyWaiter done) = 0;
};

// Reads of the KV store and the watchable store.
class KvView {
 public:
  virtual ~KvView() = default;
  virtual const KvApplier& kv() const = 0;
  virtual watch::WatchableStore* watchable() const = 0;
  // `done` runs once a linearizable read may be served locally.
  virtual void LinearizableRead(std::function<void(absl::Status)> done) = 0;
  // Runs `fn` off the gRPC and applier threads (slow waits such as a physical compaction);
  // etcd's "too many requests" when the queue is full, "server stopped" after Stop.
  [[nodiscard]] virtual absl::Status RunInBackground(std::function<void()> fn) = 0;
};

// Leases (etcd's LeaseRenew / LeaseTimeToLive, forwarded to the leader from a follower).
class LeaseView {
 public:
  using RenewDone = std::function<void(absl::StatusOr<int64_t>)>;
  using TimeToLiveDone = std::function<void(absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse>)>;
  virtual ~LeaseView() = default;
  virtual const lease::Lessor& lessor() const = 0;
  virtual int64_t CurrentRevision() const = 0;
  // A fresh lease ID for a grant that names none: positive, unique per member (etcd's idutil).
  virtual int64_t NextLeaseId() = 0;
  // `done` gets the TTL, lease::LeaseNotFoundError or another error.
  virtual void RenewLease(int64_t id, RenewDone done) = 0;
  virtual void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r,
                               TimeToLiveDone done) = 0;
};

// Membership changes (the Cluster service).
class ClusterView {
 public:
  using Done = std::function<void(absl::Status)>;
  virtual ~ClusterView() = default;
  virtual const ClusterStore& cluster() const = 0;
  // Proposes a conf change for member `m`; `done` runs once it is applied here or refused.
  virtual void ProposeConfChange(raft::ConfChangeType type, Member m,
                                 ClusterStore::Waiter done) = 0;
  // etcd's isLearnerReady, on the leader: the learner's match index is within 90% of ours.
  virtual bool IsLearnerReady(uint64_t id) const = 0;
  // etcd's strict reconfiguration checks (OK without --strict-reconfig-check).
  [[nodiscard]] virtual absl::Status MayAddMember(bool learner) const = 0;
  [[nodiscard]] virtual absl::Status MayRemoveMember(uint64_t id) const = 0;
  // On a follower: asks the leader to promote `id`; `done` gets its answer.
  virtual void ForwardPromote(uint64_t id, Done done) = 0;
  // Hands leadership to `transferee`; `done` runs once it leads (or failed).
  virtual void MoveLeader(uint64_t transferee, Done done) = 0;
};

// The Maintenance service's reads of the member's state.
class MaintenanceView {
 public:
  virtual ~MaintenanceView() = default;
  virtual void FillStatus(etcdserverpb::StatusResponse* resp) const = 0;
  [[nodiscard]] virtual absl::Status HashKV(int64_t rev,
                                            etcdserverpb::HashKVResponse* resp) const = 0;
  // etcd's Hash: a CRC-32C over every bucket of the committed backend (meta's consistent index
  // and term excepted), equal on members that applied the same entries.
  [[nodiscard]] virtual absl::Status Hash(etcdserverpb::HashResponse* resp) const = 0;
  // Defragments the backend off the calling thread (backend::Backend::Defragment); `done` runs
  // once the smaller file is in place, or with the error.
  virtual void Defragment(std::function<void(absl::Status)> done) = 0;
  // Writes a point-in-time copy of the backend in etcd's format (a bbolt file with etcd 3.4's
  // schema, server/etcdfmt/etcd_export.h) through `write`, after `on_size` was told its length.
  // Blocks for the whole transfer, as long as `write` blocks: call it on a thread of its own,
  // never a gRPC or applier thread. Writes go on meanwhile.
  [[nodiscard]] virtual absl::Status WriteSnapshot(
      std::function<void(uint64_t)> on_size,
      absl::FunctionRef<absl::Status(std::string_view)> write) const = 0;
};

// Identity and auth (AuthFrontend): who a call runs as, and the slow work of passwords.
class AuthView {
 public:
  virtual ~AuthView() = default;
  virtual const auth::AuthStore& store() const = 0;
  // Who the call runs as: its token ("token" metadata, or "authorization" as 3.5+ clients and
  // the gateway send it) or, with --client-cert-auth and no token, its verified client
  // certificate's common name; nullopt: anonymous. A token that is not (or no longer) valid:
  // "invalid auth token".
  [[nodiscard]] virtual absl::StatusOr<std::optional<auth::AuthInfo>> Identify(
      const grpc::ServerContextBase& ctx) = 0;
  // Runs `fn` on the password pool (bcrypt never runs on gRPC, raft or apply threads); "too
  // many requests" when its queue is full.
  [[nodiscard]] virtual absl::Status RunSlow(std::function<void()> fn) = 0;
  virtual int bcrypt_cost() const = 0;
  // JWT (--auth-token jwt): a signed token for `user` at auth revision `revision`. With simple
  // tokens the applier registers them; this is not called.
  [[nodiscard]] virtual absl::StatusOr<std::string> SignToken(const std::string& user,
                                                              uint64_t revision) = 0;
  virtual bool uses_simple_tokens() const = 0;
};

// The identity of a call, stamped into its proposal for the auth applier (an anonymous call
// gets an empty header). The error: an invalid token.
[[nodiscard]] inline absl::StatusOr<auth::AuthInfo> CallerOf(AuthView* a,
                                                             const grpc::ServerContextBase& ctx) {
  absl::StatusOr<std::optional<auth::AuthInfo>> who = a->Identify(ctx);
  if (!who.ok()) return who.status();
  return who->value_or(auth::AuthInfo{});
}
inline void StampCaller(const auth::AuthInfo& ai, internalpb::InternalRequest* ir) {
  if (ai.username.empty()) return;
  ir->mutable_auth_header()->set_username(ai.username);
  ir->mutable_auth_header()->set_auth_revision(ai.revision);
}
[[nodiscard]] inline absl::Status StampCaller(AuthView* a, const grpc::ServerContextBase& ctx,
                                              internalpb::InternalRequest* ir) {
  absl::StatusOr<auth::AuthInfo> ai = CallerOf(a, ctx);
  if (!ai.ok()) return ai.status();
  StampCaller(*ai, ir);
  return absl::OkStatus();
}

// The caller must hold the root role (etcd's IsAdminPermitted on the call's identity: member
// changes, Defragment, Snapshot, Hash, HashKV). OK while auth is off.
[[nodiscard]] inline absl::Status RequireRoot(AuthView* a, const grpc::ServerContextBase& ctx) {
  absl::StatusOr<auth::AuthInfo> ai = CallerOf(a, ctx);
  if (!ai.ok()) return ai.status();
  return a->store().CheckAdmin(*ai);
}

// Every view, as the owner hands them to MakeClientServices. None is owned.
struct Views {
  MemberView* member = nullptr;
  Proposals* proposals = nullptr;
  KvView* kv = nullptr;
  LeaseView* lease = nullptr;
  ClusterView* cluster = nullptr;
  MaintenanceView* maintenance = nullptr;
  AuthView* auth = nullptr;
};

}  // namespace etcdpp::server
