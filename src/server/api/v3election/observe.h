#pragma once
// One Observe stream (etcd's concurrency Election.Observe as v3election serves it): sends the
// current leader's key (or, with none, the first key put in the election), then every put of
// that key until it is deleted, then the next leader, and so on. The answers are written one at
// a time; while the queue of unwritten ones is long the watch pauses, so a slow reader holds a
// bounded amount. A failed read or a compacted watch ends the stream with OK, as etcd's does.

#include <deque>
#include <memory>
#include <string>

#include "common/mutex.h"
#include "server/api/v3election/local_client.h"
#include "server/api/v3rpc/require_leader.h"
#include "v3electionpb/v3election.grpc.pb.h"

namespace etcdpp::server {

class ObserveReactor final : public grpc::ServerWriteReactor<v3electionpb::LeaderResponse>,
                             public std::enable_shared_from_this<ObserveReactor> {
 public:
  // Starts observing the election of `prefix` ("name/"); the reactor owns itself until OnDone.
  static ObserveReactor* Start(LocalClient* client, std::string prefix);
  // Every Finish goes through it (hasleader streams: require_leader.h).
  const std::shared_ptr<StreamFinisher>& finisher() const { return finisher_; }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  ObserveReactor(LocalClient* client, std::string prefix);
  void Round();  // reads the leader
  void OnLeader(absl::StatusOr<etcdserverpb::RangeResponse> r);
  bool OnFirstPut(const watch::Response& r);  // with no leader: waits for a put
  void Follow(const mvccpb::KeyValue& kv, int64_t from_rev);
  bool OnLeaderKey(const watch::Response& r);  // puts of the leader's key until its delete
  void Watch(watch::KeyRange range, int64_t from_rev, KeyWatch::Handler h);
  void StopWatch();
  // Queues one answer; false when the queue is long (the watch pauses).
  bool Send(etcdserverpb::ResponseHeader h, const mvccpb::KeyValue& kv);
  void TryWrite();
  void End(grpc::Status st);
  void DoFinish(grpc::Status st);

  // Constant after construction.
  LocalClient* const client_;
  const std::string prefix_;

  Mutex mu_;
  std::deque<v3electionpb::LeaderResponse> queue_ ABSL_GUARDED_BY(mu_);  // front: in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<KeyWatch> watch_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<ObserveReactor> self_;  // released in OnDone
  std::shared_ptr<StreamFinisher> finisher_;
};

}  // namespace etcdpp::server
