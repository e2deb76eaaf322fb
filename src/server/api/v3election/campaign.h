#pragma once
// One Campaign (etcd's concurrency Election.Campaign as v3election serves it): take a session
// lease (a new one of 60 s when the request names none), put the candidate's key unless it
// exists (a different value is proclaimed), then wait until every key of the election created
// before it is gone. The answer's header is the txn's, its leader key carries the key's create
// revision (the fencing token).
//
// Cancellation: once the key is made, a cancelled campaign resigns it (a txn deleting the key
// if its create revision is still the campaign's), as etcd does when its wait is cancelled;
// other errors leave the key to its lease, as etcd's.

#include <cstdint>
#include <memory>
#include <string>

#include "common/mutex.h"
#include "server/api/v3election/local_client.h"
#include "server/api/v3election/unary_call.h"
#include "server/api/v3election/wait_deletes.h"
#include "v3electionpb/v3election.pb.h"

namespace etcdpp::server {

class CampaignJob : public std::enable_shared_from_this<CampaignJob> {
 public:
  using Reply = Answer<v3electionpb::CampaignResponse>;
  // `client` outlives the job.
  CampaignJob(LocalClient* client, const v3electionpb::CampaignRequest& req,
              std::shared_ptr<Reply> answer);
  void Start();
  void Cancel();

 private:
  void Put(int64_t lease);
  void OnTxn(absl::StatusOr<etcdserverpb::TxnResponse> r);
  void OnProclaimed(absl::StatusOr<etcdserverpb::TxnResponse> r);
  void Wait();
  void OnWaited(absl::StatusOr<etcdserverpb::ResponseHeader> r);
  void Resign();
  bool cancelled();

  // Constant after construction.
  LocalClient* const client_;
  const std::string name_;
  const std::string value_;
  const std::shared_ptr<Reply> answer_;

  // Set once, in order, by the job's steps (which run one after the other).
  int64_t lease_ = 0;
  std::string key_;
  int64_t rev_ = 0;  // the key's create revision
  etcdserverpb::ResponseHeader header_;

  Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<WaitDeletes> wait_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
