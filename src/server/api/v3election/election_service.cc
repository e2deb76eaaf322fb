// The v3election service: Campaign (campaign.h), Observe (observe.h), and the one-step calls.
#include "server/api/v3election/election_service.h"

#include <utility>

#include "server/api/v3election/campaign.h"
#include "server/api/v3election/observe.h"
#include "server/api/v3election/recipes.h"
#include "server/api/v3election/unary_call.h"
#include "server/api/v3rpc/require_leader.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;
namespace epb = ::v3electionpb;

grpc::ServerUnaryReactor* ElectionService::Campaign(grpc::CallbackServerContext* ctx,
                                                    const epb::CampaignRequest* req,
                                                    epb::CampaignResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *client_.views().member)) return r;
  auto* call = new UnaryCall<epb::CampaignResponse>(resp);
  auto job = std::make_shared<CampaignJob>(&client_, *req, call->answer());
  call->OnCancelRun([job] { job->Cancel(); });
  job->Start();
  return call;
}

grpc::ServerUnaryReactor* ElectionService::Proclaim(grpc::CallbackServerContext* ctx,
                                                    const epb::ProclaimRequest* req,
                                                    epb::ProclaimResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *client_.views().member)) return r;
  auto* call = new UnaryCall<epb::ProclaimResponse>(resp);
  auto answer = call->answer();
  if (!req->has_leader()) {
    answer->Fail(recipes::ToRecipeGrpcStatus(recipes::ErrMissingLeaderKey()));
    return call;
  }
  LocalClient* client = &client_;
  client_.SessionLease(
      req->leader().lease(), [client, answer, leader = req->leader(),
                              value = req->value()](absl::StatusOr<int64_t> lease) {
        if (!lease.ok()) {
          answer->Fail(recipes::ToRecipeGrpcStatus(lease.status()));
          return;
        }
        client->Txn(recipes::ProclaimTxn(leader.key(), leader.rev(), value, *lease),
                    [answer](absl::StatusOr<pb::TxnResponse> r) {
                      absl::Status st = r.status();
                      if (st.ok() && !r->succeeded()) st = recipes::ErrNotLeader();
                      if (!st.ok()) {
                        answer->Fail(recipes::ToRecipeGrpcStatus(st));
                        return;
                      }
                      epb::ProclaimResponse out;
                      *out.mutable_header() = r->header();
                      answer->Reply(std::move(out));
                    });
      });
  return call;
}

grpc::ServerUnaryReactor* ElectionService::Leader(grpc::CallbackServerContext* ctx,
                                                  const epb::LeaderRequest* req,
                                                  epb::LeaderResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *client_.views().member)) return r;
  auto* call = new UnaryCall<epb::LeaderResponse>(resp);
  client_.Get(recipes::FirstCreated(req->name() + "/"),
              [answer = call->answer()](absl::StatusOr<pb::RangeResponse> r) {
                absl::Status st = r.status();
                if (st.ok() && r->kvs_size() == 0) st = recipes::ErrNoLeader();
                if (!st.ok()) {
                  answer->Fail(recipes::ToRecipeGrpcStatus(st));
                  return;
                }
                epb::LeaderResponse out;
                *out.mutable_header() = r->header();
                out.mutable_kv()->Swap(r->mutable_kvs(0));
                answer->Reply(std::move(out));
              });
  return call;
}

// etcd's Resign answers OK whether or not the key was still the leader's; it needs no lease,
// so none is granted for a request without one (etcd's would open a session on a new lease).
grpc::ServerUnaryReactor* ElectionService::Resign(grpc::CallbackServerContext* ctx,
                                                  const epb::ResignRequest* req,
                                                  epb::ResignResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *client_.views().member)) return r;
  auto* call = new UnaryCall<epb::ResignResponse>(resp);
  auto answer = call->answer();
  if (!req->has_leader()) {
    answer->Fail(recipes::ToRecipeGrpcStatus(recipes::ErrMissingLeaderKey()));
    return call;
  }
  client_.Txn(recipes::ResignTxn(req->leader().key(), req->leader().rev()),
              [answer](absl::StatusOr<pb::TxnResponse> r) {
                if (!r.ok()) {
                  answer->Fail(recipes::ToRecipeGrpcStatus(r.status()));
                  return;
                }
                epb::ResignResponse out;
                *out.mutable_header() = r->header();
                answer->Reply(std::move(out));
              });
  return call;
}

grpc::ServerWriteReactor<epb::LeaderResponse>* ElectionService::Observe(
    grpc::CallbackServerContext* ctx, const epb::LeaderRequest* req) {
  ObserveReactor* r = ObserveReactor::Start(&client_, req->name() + "/");
  GuardStreamWithLeader(ctx, client_.views().member, r->finisher());
  return r;
}

}  // namespace etcdpp::server
