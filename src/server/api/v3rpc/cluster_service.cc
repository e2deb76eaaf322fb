#include "server/api/v3rpc/cluster_service.h"

#include <algorithm>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "server/api/v3rpc/require_leader.h"
#include "server/api/v3rpc/views.h"
#include "server/config.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;
namespace {

void ToProto(const Member& m, pb::Member* out) {
  out->set_id(m.id);
  out->set_name(m.name);
  for (const std::string& u : m.peer_urls) out->add_peerurls(u);
  for (const std::string& u : m.client_urls) out->add_clienturls(u);
  out->set_islearner(m.is_learner);
}

template <typename Resp>
void FillMembers(Views v, Resp* resp) {
  v.member->FillHeader(resp->mutable_header());
  for (const Member& m : v.cluster->cluster().Members()) ToProto(m, resp->add_members());
}

// Peer URLs as etcd's types.NewURLs accepts them, normalized to their string form.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ValidPeerUrls(
    const google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<std::string> out;
  for (const std::string& s : in) {
    absl::StatusOr<std::vector<Url>> u = ParseUrls("peer-urls", s);
    if (!u.ok() || u->size() != 1) return ErrMemberBadUrls();
    out.push_back(s);
  }
  if (out.empty()) return ErrMemberBadUrls();
  std::sort(out.begin(), out.end());
  return out;
}

// A peer URL already used by a member other than `self`.
bool PeerUrlTaken(const Views& v, const std::vector<std::string>& urls, uint64_t self) {
  for (const std::string& u : urls) {
    std::optional<Member> m = v.cluster->cluster().FindByPeerUrl(u);
    if (m.has_value() && m->id != self) return true;
  }
  return false;
}

// etcd's order: the strict reconfiguration checks, then what applying the change validates
// (a peer URL in use, one learner at most).
[[nodiscard]] absl::Status CheckAdd(const Views& v, const std::vector<std::string>& urls,
                                    bool learner) {
  if (absl::Status st = v.cluster->MayAddMember(learner); !st.ok()) return st;
  if (PeerUrlTaken(v, urls, 0)) return ErrPeerUrlExist();
  if (learner) {
    std::vector<Member> all = v.cluster->cluster().Members();
    if (std::count_if(all.begin(), all.end(), [](const Member& m) { return m.is_learner; }) >= 1) {
      return ErrTooManyLearners();
    }
  }
  return absl::OkStatus();
}

// Finishes `reactor` with `st`, or with the member list once the change applied.
template <typename Resp>
ClusterStore::Waiter FinishWith(Views v, grpc::ServerUnaryReactor* reactor, Resp* resp) {
  return [v, reactor, resp](absl::Status st) {
    if (st.ok()) FillMembers(v, resp);
    reactor->Finish(ToGrpcStatus(st));
  };
}

// etcd's learner_promote_* metrics, counted by the leader that decided the promotion.
void CountPromotion(const absl::Status& st) {
  if (st.ok()) {
    Metrics::Get().LearnerPromoted();
  } else {
    Metrics::Get().LearnerPromoteFailed(std::string(st.message()));
  }
}

}  // namespace

grpc::ServerUnaryReactor* ClusterService::MemberAdd(grpc::CallbackServerContext* ctx,
                                                    const pb::MemberAddRequest* req,
                                                    pb::MemberAddResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  absl::StatusOr<std::vector<std::string>> urls = ValidPeerUrls(req->peerurls());
  absl::Status st = urls.ok() ? RequireRoot(v_.auth, *ctx) : urls.status();
  if (st.ok()) st = CheckAdd(v_, *urls, req->islearner());
  if (!st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  Member m;
  // etcd's NewMember with a time: sha1(sorted peer URLs + cluster token + unix seconds).
  m.id = ComputeMemberId(*urls, absl::StrCat(v_.member->config().initial_cluster_token,
                                             static_cast<int64_t>(std::time(nullptr))));
  m.peer_urls = *urls;
  m.is_learner = req->islearner();
  ToProto(m, resp->mutable_member());
  v_.cluster->ProposeConfChange(
      m.is_learner ? raft::ConfChangeType::kAddLearnerNode : raft::ConfChangeType::kAddNode, m,
      FinishWith(v_, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberRemove(grpc::CallbackServerContext* ctx,
                                                       const pb::MemberRemoveRequest* req,
                                                       pb::MemberRemoveResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  std::optional<Member> m = v_.cluster->cluster().Get(req->id());
  absl::Status st = RequireRoot(v_.auth, *ctx);
  if (st.ok()) st = v_.cluster->MayRemoveMember(req->id());
  if (st.ok() && !m.has_value()) st = ErrMemberNotFound();
  if (!st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  v_.cluster->ProposeConfChange(raft::ConfChangeType::kRemoveNode, *m,
                                FinishWith(v_, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberUpdate(grpc::CallbackServerContext* ctx,
                                                       const pb::MemberUpdateRequest* req,
                                                       pb::MemberUpdateResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  std::optional<Member> m = v_.cluster->cluster().Get(req->id());
  absl::StatusOr<std::vector<std::string>> urls = ValidPeerUrls(req->peerurls());
  absl::Status st = RequireRoot(v_.auth, *ctx);
  if (!st.ok()) {
  } else if (!urls.ok()) {
    st = urls.status();
  } else if (!m.has_value()) {
    st = ErrMemberNotFound();
  } else if (PeerUrlTaken(v_, *urls, m->id)) {
    st = ErrPeerUrlExist();
  }
  if (!st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  m->peer_urls = *urls;
  v_.cluster->ProposeConfChange(raft::ConfChangeType::kUpdateNode, *m,
                                FinishWith(v_, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberList(grpc::CallbackServerContext* ctx,
                                                     const pb::MemberListRequest*,
                                                     pb::MemberListResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  FillMembers(v_, resp);
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberPromote(grpc::CallbackServerContext* ctx,
                                                        const pb::MemberPromoteRequest* req,
                                                        pb::MemberPromoteResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status st = RequireRoot(v_.auth, *ctx); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  if (!v_.member->is_leader()) {  // only the leader knows whether the learner caught up
    v_.cluster->ForwardPromote(req->id(), [this, reactor, resp](absl::Status st) {
      if (st.ok()) FillMembers(v_, resp);
      reactor->Finish(ToGrpcStatus(st));
    });
    return reactor;
  }
  std::optional<Member> m = v_.cluster->cluster().Get(req->id());
  absl::Status st;
  if (!m.has_value()) {
    st = ErrMemberNotFound();
  } else if (!m->is_learner) {
    st = ErrMemberNotLearner();
  } else if (!v_.cluster->IsLearnerReady(m->id)) {
    st = ErrLearnerNotReady();
  } else if (v_.member->config().strict_reconfig_check &&
             !v_.cluster->cluster().IsReadyToPromoteMember(m->id)) {
    st = ErrMemberNotEnoughStarted();
  }
  if (!st.ok()) {
    CountPromotion(st);
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  m->is_learner = false;
  v_.cluster->ProposeConfChange(raft::ConfChangeType::kAddNode, *m,
                                [finish = FinishWith(v_, reactor, resp)](absl::Status st) {
                                  CountPromotion(st);
                                  finish(std::move(st));
                                });
  return reactor;
}

}  // namespace etcdpp::server
