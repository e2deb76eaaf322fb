#include "server/api/v3election/campaign.h"

#include <utility>

#include "server/api/v3election/recipes.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;
namespace epb = ::v3electionpb;

CampaignJob::CampaignJob(LocalClient* client, const epb::CampaignRequest& req,
                         std::shared_ptr<Reply> answer)
    : client_(client), name_(req.name()), value_(req.value()), answer_(std::move(answer)) {
  lease_ = req.lease();
}

void CampaignJob::Start() {
  client_->SessionLease(lease_, [self = shared_from_this()](absl::StatusOr<int64_t> id) {
    if (!id.ok()) {
      self->answer_->Fail(recipes::ToRecipeGrpcStatus(id.status()));
      return;
    }
    self->Put(*id);
  });
}

void CampaignJob::Put(int64_t lease) {
  lease_ = lease;
  key_ = recipes::OwnKey(name_ + "/", lease_);
  client_->Txn(recipes::CampaignTxn(key_, value_, lease_),
               [self = shared_from_this()](absl::StatusOr<pb::TxnResponse> r) {
                 self->OnTxn(std::move(r));
               });
}

void CampaignJob::OnTxn(absl::StatusOr<pb::TxnResponse> r) {
  absl::Status st = r.status();
  if (st.ok()) st = recipes::OwnRevision(*r, &rev_);
  if (!st.ok()) {
    answer_->Fail(recipes::ToRecipeGrpcStatus(st));
    return;
  }
  header_ = r->header();
  if (r->succeeded() || recipes::FoundValue(*r) == value_) {
    Wait();
    return;
  }
  // The candidate's key exists with another value: proclaim the new one first.
  client_->Txn(recipes::ProclaimTxn(key_, rev_, value_, lease_),
               [self = shared_from_this()](absl::StatusOr<pb::TxnResponse> r) {
                 self->OnProclaimed(std::move(r));
               });
}

void CampaignJob::OnProclaimed(absl::StatusOr<pb::TxnResponse> r) {
  if (!r.ok()) {
    answer_->Fail(recipes::ToRecipeGrpcStatus(r.status()));
    return;
  }
  if (!r->succeeded()) {
    answer_->Fail(recipes::ToRecipeGrpcStatus(recipes::ErrNotLeader()));
    return;
  }
  Wait();
}

void CampaignJob::Wait() {
  if (cancelled()) {
    Resign();
    return;
  }
  std::weak_ptr<CampaignJob> weak = weak_from_this();
  // The job is kept by its call while it waits; a wait outliving the call ends with it.
  auto wait = WaitDeletes::Start(client_, name_ + "/", rev_ - 1,
                                 [weak](absl::StatusOr<pb::ResponseHeader> r) {
                                   if (auto self = weak.lock()) self->OnWaited(std::move(r));
                                 });
  bool cancel = false;
  {
    MutexLock l(&mu_);
    wait_ = wait;
    cancel = cancelled_;
  }
  if (cancel) wait->Cancel();
}

void CampaignJob::OnWaited(absl::StatusOr<pb::ResponseHeader> r) {
  {
    MutexLock l(&mu_);
    wait_ = nullptr;
  }
  if (absl::IsCancelled(r.status()) || cancelled()) {
    Resign();
    return;
  }
  if (!r.ok()) {
    answer_->Fail(recipes::ToRecipeGrpcStatus(r.status()));
    return;
  }
  epb::CampaignResponse resp;
  *resp.mutable_header() = header_;
  epb::LeaderKey* leader = resp.mutable_leader();
  leader->set_name(name_);
  leader->set_key(key_);
  leader->set_rev(rev_);
  leader->set_lease(lease_);
  if (!answer_->Reply(std::move(resp))) Resign();  // cancelled at the last moment
}

void CampaignJob::Resign() {
  client_->Txn(recipes::ResignTxn(key_, rev_),
               [self = shared_from_this()](absl::StatusOr<pb::TxnResponse>) {});
  answer_->Fail(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
}

bool CampaignJob::cancelled() {
  MutexLock l(&mu_);
  return cancelled_;
}

void CampaignJob::Cancel() {
  std::shared_ptr<WaitDeletes> wait;
  {
    MutexLock l(&mu_);
    cancelled_ = true;
    wait = wait_;
  }
  if (wait) wait->Cancel();  // OnWaited resigns
}

}  // namespace etcdpp::server
